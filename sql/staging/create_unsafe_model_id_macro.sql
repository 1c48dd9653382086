-- Whether a model id is unsafe as a key or a path: an id seen in a listing existed, whatever
-- today's naming rules say (long names, a `.git` end), so only these are refused. At most one
-- `/`, no empty part, no `.` or `..` part, no backslash, no control character. Staging's
-- `invalid_id` and the counter files' check share it.
create or replace macro unsafe_model_id(model_id) as
    not regexp_full_match(model_id, '[^/]+(/[^/]+)?')
    or regexp_matches(model_id, '[\x00-\x1f\x7f\\]')
    or list_has_any(string_split(model_id, '/'), ['.', '..'])
