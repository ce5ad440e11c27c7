"""What each ``/_mock`` control call does, once: the JSON API and the console both call it."""
