"""What every site shares: layout, static files, health check, security headers, demo mail."""
