"""Card vault: AES-256-GCM envelope encryption, versioned key ring, fingerprints, card rules."""
