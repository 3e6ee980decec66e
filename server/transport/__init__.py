"""The websockets: the protocol's frames, a table connection's session, and the direct-write and queued paths out."""
