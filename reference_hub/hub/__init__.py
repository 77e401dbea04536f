"""Hub rules: who may call, the credentials handshake in both directions, and what the hub tells parties."""
