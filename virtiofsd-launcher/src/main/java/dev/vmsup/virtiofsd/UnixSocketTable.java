package dev.vmsup.virtiofsd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads {@code /proc/net/unix} to tell whether a socket path is listening, without connecting: the C virtiofsd
 * serves exactly one vhost-user session and exits when it ends, so a probing connection would kill it.
 */
final class UnixSocketTable {
    /** __SO_ACCEPTCON: the socket is listening. */
    private static final int ACCEPTING = 0x10000;

    private UnixSocketTable() {
    }

    static boolean listening(Path table, Path socket) {
        String wanted = socket.toString();
        try {
            for (String line : Files.readAllLines(table)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 8 && f[7].equals(wanted)) {
                    try {
                        if ((Integer.parseInt(f[3], 16) & ACCEPTING) != 0) {
                            return true;
                        }
                    } catch (NumberFormatException ignored) {
                        // header line
                    }
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
