package dev.vmsup.supervisor.usage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Sums Rss and Pss of a process's guest-RAM mappings (an anonymous or memfd mapping of exactly the guest's size) from
 * its {@code smaps}, scanning the bytes a small buffer at a time: QEMU's smaps is ~10,000 lines, and decoding each
 * into a String was most of the CPU a usage sample cost (every 5 s, in every supervisor). Not thread-safe: one per
 * reading thread.
 */
final class GuestRamScan {
    private static final byte[] RSS = "Rss:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PSS = "Pss:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MEMFD = "/memfd:".getBytes(StandardCharsets.US_ASCII);
    /** Fields of a mapping's header before its name: range, perms, offset, dev, inode. */
    private static final int FIELDS_BEFORE_NAME = 5;

    private byte[] buf;
    private int len;
    private long guestRamBytes;
    private boolean guest;
    private long rss;
    private long pss;

    GuestRamScan(int bufferBytes) {
        buf = new byte[bufferBytes];
    }

    /** {Rss, Pss} in bytes of the guest-RAM mappings in {@code smaps}; zeros when it cannot be read. */
    long[] of(Path smaps, long guestRamBytes) {
        this.guestRamBytes = guestRamBytes;
        guest = false;
        rss = 0;
        pss = 0;
        len = 0;
        try (InputStream in = Files.newInputStream(smaps)) {
            int r;
            while ((r = in.read(buf, len, buf.length - len)) >= 0) {
                len += r;
                consumeLines();
                if (len == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2); // one line longer than the buffer (a long path)
                }
            }
            if (len > 0) {
                line(0, len); // the last line, without its newline
            }
        } catch (IOException e) {
            return new long[2];
        }
        return new long[] {rss, pss};
    }

    /** Handles every complete line in the buffer and keeps the incomplete rest at its start. */
    private void consumeLines() {
        int start = 0;
        for (int i = 0; i < len; i++) {
            if (buf[i] == '\n') {
                line(start, i);
                start = i + 1;
            }
        }
        System.arraycopy(buf, start, buf, 0, len - start);
        len -= start;
    }

    private void line(int from, int to) {
        if (from == to) {
            return;
        }
        byte c = buf[from];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
            guest = isGuestRam(from, to);
        } else if (guest && startsWith(from, to, RSS)) {
            rss += kib(from + RSS.length, to) * 1024;
        } else if (guest && startsWith(from, to, PSS)) {
            pss += kib(from + PSS.length, to) * 1024;
        }
    }

    /** A header "start-end perms offset dev inode [name]" of the guest's size, anonymous or memfd. */
    private boolean isGuestRam(int from, int to) {
        int dash = indexOf('-', from, to);
        int space = indexOf(' ', from, to);
        if (dash < 0 || space < dash) {
            return false;
        }
        long start = hex(from, dash);
        long end = hex(dash + 1, space);
        if (start < 0 || end < 0 || end - start != guestRamBytes) {
            return false;
        }
        int i = from;
        for (int field = 0; field < FIELDS_BEFORE_NAME; field++) {
            while (i < to && buf[i] != ' ') {
                i++;
            }
            while (i < to && buf[i] == ' ') {
                i++;
            }
        }
        return i >= to || startsWith(i, to, MEMFD);
    }

    private int indexOf(char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private boolean startsWith(int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The hexadecimal number in [from, to), or -1 if it is not one (or has more than 16 digits). */
    private long hex(int from, int to) {
        if (to <= from || to - from > 16) {
            return -1;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = Character.digit(buf[i], 16);
            if (d < 0) {
                return -1;
            }
            v = (v << 4) | d;
        }
        return v;
    }

    /** The decimal number after the spaces from {@code from} ("   1234 kB"). */
    private long kib(int from, int to) {
        int i = from;
        while (i < to && buf[i] == ' ') {
            i++;
        }
        long v = 0;
        for (; i < to && buf[i] >= '0' && buf[i] <= '9'; i++) {
            v = v * 10 + (buf[i] - '0');
        }
        return v;
    }
}
