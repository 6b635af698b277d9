package dev.vmsup.qmp;

/** An event handler registration; cancel it to stop receiving. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
    void cancel();

    @Override
    default void close() {
        cancel();
    }
}
