"""Admin for catalogue imports (ImportJob)."""
