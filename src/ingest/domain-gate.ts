/**
 * Per-domain concurrency for the crawlers: at most `limit` pages of one domain are fetched and processed
 * at once (Crawlee's own `maxConcurrency` is for the whole crawl). A request enters before navigation and
 * leaves when its handler ends or fails; leaving twice is harmless.
 */
export class DomainGate {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly held = new Map<string, string>();

  constructor(private readonly limit: number) {}

  async enter(key: string, url: string): Promise<void> {
    if (this.held.has(key)) return;
    const domain = new URL(url).hostname;
    while ((this.active.get(domain) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const q = this.waiting.get(domain) ?? [];
        q.push(resolve);
        this.waiting.set(domain, q);
      });
    }
    this.active.set(domain, (this.active.get(domain) ?? 0) + 1);
    this.held.set(key, domain);
  }

  leave(key: string): void {
    const domain = this.held.get(key);
    if (domain === undefined) return;
    this.held.delete(key);
    this.active.set(domain, Math.max(0, (this.active.get(domain) ?? 1) - 1));
    this.waiting.get(domain)?.shift()?.();
  }
}
