"""The tables as they are played: kept per process, deadlines, presence, conferences and the control
room's live state."""
