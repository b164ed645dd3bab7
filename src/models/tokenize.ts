/**
 * Tokenizer for the n-gram model: lower-cased words, hashtags as words, emoticons and emoji kept as
 * tokens, user mentions and URLs collapsed, and negation scope marked on the next three words
 * (`not good` -> `not neg_good`) up to the next punctuation mark; emoticons and emoji are never negated.
 */
const TOKEN_RE =
  /(?:https?:\/\/\S+|www\.\S+)|@\w+|[:;=8][-o*']?[)(\][dDpP/\\|]|<3|\p{Extended_Pictographic}|[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[.,!?;]/gu;
const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'nothing',
  'nobody',
  'none',
  'nor',
  'neither',
  'cannot',
  "can't",
  "don't",
  "doesn't",
  "didn't",
  "isn't",
  "wasn't",
  "aren't",
  "weren't",
  "won't",
  "wouldn't",
  "shouldn't",
  "couldn't",
  "hasn't",
  "haven't",
  "hadn't",
  'dont',
  'doesnt',
  'didnt',
  'isnt',
  'wasnt',
  'cant',
  'wont',
  'without',
  "ain't",
  'aint',
]);
const CLAUSE_END = new Set(['.', ',', '!', '?', ';']);

export function tokenize(text: string): string[] {
  const out: string[] = [];
  let negate = 0;
  for (const m of text.toLowerCase().replace(/’/g, "'").matchAll(TOKEN_RE)) {
    let tok = m[0];
    if (tok.startsWith('http') || tok.startsWith('www.')) tok = '<url>';
    else if (tok.startsWith('@')) tok = '<user>';
    if (CLAUSE_END.has(tok)) {
      negate = 0;
      if (tok === '!' || tok === '?') out.push(tok);
      continue;
    }
    if (negate > 0 && !NEGATORS.has(tok) && /^[\p{L}\p{N}]/u.test(tok)) {
      out.push(`neg_${tok}`);
      negate--;
      continue;
    }
    out.push(tok);
    if (NEGATORS.has(tok) || tok.endsWith("n't")) negate = 3;
  }
  return out;
}

/** Unigrams and bigrams of a token list, deduplicated (binary features). */
export function ngrams(tokens: readonly string[]): string[] {
  const set = new Set<string>(tokens);
  for (let i = 0; i + 1 < tokens.length; i++) set.add(`${tokens[i]} ${tokens[i + 1]}`);
  return [...set];
}
