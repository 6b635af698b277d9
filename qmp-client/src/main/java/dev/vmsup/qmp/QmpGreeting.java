package dev.vmsup.qmp;

import java.util.List;

/** What QEMU says first: its version and the capabilities it offers (e.g. "oob"). */
public record QmpGreeting(QmpVersion version, List<String> capabilities) {
    public QmpGreeting {
        capabilities = List.copyOf(capabilities);
    }
}
