"""The tables as they are played: loaded and kept per process, deadlines, presence, conferences and the control room's live state."""
