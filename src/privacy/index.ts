/**
 * privacy: erasing what the system keeps about a person on request (their reviews, photos, crawled pages,
 * labels and search-index entries). What is kept, and where, is in docs/privacy.md.
 */
export { type EraseDeps, type EraseReport, type EraseSelector, eraseReviews } from './erase.js';
