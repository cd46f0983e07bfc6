-- The access log is kept for a retention period (12 months by default, the CNIL's guidance
-- for access logs being 6 months to a year), then purged by `serve`: this index finds the
-- rows past it without reading the others.
create index personal_data_access_by_time on personal_data_access (accessed_at);
