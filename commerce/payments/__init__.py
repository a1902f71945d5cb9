"""Payment providers: the interface every provider implements, the registry that
finds them by name (settings ``PAYMENT_PROVIDERS``), and the built-in sandbox."""
