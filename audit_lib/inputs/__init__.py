"""Stage 1, inputs: read users' files safely, gate identifiers, validate, fingerprint, pseudonymise."""
