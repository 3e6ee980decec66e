"""What operators run: log export and import (the archive), the archive CLI, retention."""
