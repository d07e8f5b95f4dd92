// Signal handling for the event loop (the self-pipe trick): handlers only
// count the signal and write a byte that wakes poll().
#pragma once

namespace triggers::worker {

// Installs handlers for SIGTERM, SIGINT and SIGCHLD, ignores SIGPIPE, and
// returns the read end of the wake-up pipe (-1 on failure).
int InstallSignalHandlers();

// Empties the wake-up pipe after poll() reported it readable.
void DrainSignalPipe();

// How many SIGTERM/SIGINT arrived since the last call.
int TakeStopRequests();

}  // namespace triggers::worker
