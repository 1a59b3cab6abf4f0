// Shared vitest setup (intentionally empty for now).
