"""One module per system outside CARE: Twilio, Slack, SMTP, IMAP, the Prefect API, files."""
