"""Payment-password recovery: captcha -> e-mail link -> answers -> new password, and the
"This wasn't me" freeze (docs/recovery.md)."""
