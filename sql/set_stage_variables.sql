-- The inputs of one staging run, read by the other staging statements through getvariable('stage').
set variable stage = {
    'pages': $pages::varchar[],
    'rejected': $rejected::varchar[],
    'snapshot_date': $snapshot_date::date,
    'max_record_bytes': $max_record_bytes::bigint,
    'max_object_size': $max_object_size::bigint,
    'raw_record_chars': $raw_record_chars::bigint,
    'record_key_chars': $record_key_chars::bigint,
}
