-- No model_licenses partition for the day: every license check is `unknown`.
create or replace temp table lin_licenses (
    model_id varchar,
    license_category varchar,
    restrictiveness_rank integer,
    has_license_file boolean,
)
