import { sha256 } from '../../src/core/ids.js';
import type { ReviewRecord } from '../../src/retrieval/types.js';

/** Reviews for the backend adapter tests; ids are the sha256 of the text, as the indexer makes them. */
const rec = (text: string, extra: Partial<ReviewRecord> = {}): ReviewRecord => ({
  id: sha256(text),
  text,
  ...extra,
});
export const cracked = rec('The screen cracked after two days', {
  title: 'Fragile',
  product: 'phone-x',
  rating: 1,
  date: '2024-03-02',
  source: 'shop.example',
  label: 'negative',
  imageId: sha256('test'),
});
export const battery = rec('Battery lasts all week, love it', {
  product: 'phone-x',
  rating: 5,
  date: '2024-03-05',
  source: 'shop.example',
  label: 'positive',
});
export const phone = rec('Arrived on time. It is a phone.');
