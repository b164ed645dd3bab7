/**
 * Debian's Chromium, as every part that drives a browser launches it (the ingestion crawler, the UI's
 * end-to-end tests and benchmark). Without the background-networking flags it keeps calling hosts this
 * closed network refuses; `--no-sandbox` because CI runs as root.
 */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
