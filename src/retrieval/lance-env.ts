// Imported before @lancedb/lancedb, which reads these when it loads. Quiet by default (a warning per query
// otherwise, see the environment notes); a user's own setting wins.
process.env.LANCEDB_LOG ??= 'error';
process.env.LANCE_LOG ??= 'error';
// Leave vector centroids out of index statistics (the future default; also silences a warning).
process.env.LANCE_INCLUDE_VECTOR_CENTROIDS ??= 'false';
