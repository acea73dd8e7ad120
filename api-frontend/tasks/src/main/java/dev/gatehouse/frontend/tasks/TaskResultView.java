package dev.gatehouse.frontend.tasks;

/**
 * {@code GET /v1/tasks/{id}/results/{resultId}}: a tool result of an agent task that Gatehouse
 * stored outside the workflow history (its trace step names it in {@code stored}).
 *
 * @param id the result's id
 * @param task the task's id
 * @param step the tool call's step id ({@code tool-<step>.<n>})
 * @param chars the result's length in characters, as the model reads it (its text, or its JSON
 *     as text)
 * @param cut whether it was longer than Gatehouse stores (256 Ki characters): {@code content} then
 *     holds its start and a note saying so
 * @param createdAt when it was stored
 * @param content the result as stored
 */
public record TaskResultView(String id, String task, String step, int chars, boolean cut, String createdAt, String content) {}
