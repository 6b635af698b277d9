package dev.vmsup.supervisor.config;

/** Bad configuration or usage: one line naming the key or flag; the command exits 2 having created nothing. */
public class ConfigException extends IllegalArgumentException {
    private final String key;

    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The config key or CLI flag at fault. */
    public String key() {
        return key;
    }
}
