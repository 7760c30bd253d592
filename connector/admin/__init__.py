"""Operations commands: the queue, dead letters, resync, drift check, health."""
