import type { CheerioAPI } from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { classes, isElement } from './dom.js';

/** CSS selectors for what the repeated-structure layer found, to cache and reuse for a domain. */

/** CSS-escapes a class name or id. */
export function cssEscape(s: string): string {
  return s.replace(/([^a-zA-Z0-9_-])/g, '\\$1').replace(/^(\d)/, '\\3$1 ');
}

/** `tag.class1.class2` of an element (tag alone when it has no class). */
export function simpleSelector(el: Element): string {
  return [el.tagName, ...classes(el).map(cssEscape)].join('.');
}

/**
 * A selector for `el` relative to `card`: its own `tag.classes` when that finds it first in the card,
 * else the nearest classed ancestor's selector followed by the tag path down to it.
 */
export function relativeSelector($: CheerioAPI, card: Element, el: Element): string | undefined {
  if (el === card) return undefined;
  const path: string[] = [];
  let cur: AnyNode | null = el;
  while (isElement(cur) && cur !== card) {
    const sel = classes(cur).length ? simpleSelector(cur) : cur.tagName;
    path.unshift(sel);
    const candidate = path.join(' > ');
    try {
      if ($(card).find(candidate).first()[0] === el) return candidate;
    } catch {
      // an unusual class name the selector engine refuses: go on with the longer path
    }
    cur = cur.parent;
  }
  return path.length ? `:scope > ${path.join(' > ')}` : undefined;
}
