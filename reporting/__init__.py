"""What people read: the run summary, the audit page, feedback to schools, upload templates."""
