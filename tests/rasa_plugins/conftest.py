"""Rasa-side tests run several Sanic apps in one process."""
from sanic import Sanic

# Sanic 21.12 rewrites its HTTP protocol methods ("touch-up") when an app starts, and cannot do it again
# for a second app in the same process unless test mode keeps the originals. Set before any test starts a server.
Sanic.test_mode = True
