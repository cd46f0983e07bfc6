-- The expiry sweeper's question: which active awards have passed their date, across tenants.
create index request_queue_by_expiry on request_queue (award_state, expires_at);
