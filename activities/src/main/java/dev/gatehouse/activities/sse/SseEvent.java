package dev.gatehouse.activities.sse;

/**
 * One Server-Sent Event, as {@link SseParser} dispatches it.
 *
 * @param id the stream's last event id when the event was dispatched (an event without an
 *     {@code id:} line carries the one before it, as EventSource's {@code lastEventId} does);
 *     null when the stream never set one, empty when it cleared it
 * @param event the event type: the {@code event:} field, {@code "message"} when there was none
 * @param data the {@code data:} lines joined with {@code \n}
 * @param retry the reconnection delay in milliseconds the stream set last ({@code retry:}), null
 *     when it set none
 */
public record SseEvent(String id, String event, String data, Long retry) {}
