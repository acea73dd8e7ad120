package dev.gatehouse.workflows.tool;

/**
 * A tool result Gatehouse keeps in PostgreSQL instead of the workflow history (an agent task's
 * large results: see {@link ToolCallRequest#storeOver()}): what the history holds in its place.
 *
 * @param id the stored row's id ({@code res_...}, unguessable), readable only within the task
 *     and its tenant
 * @param chars the length of the result as the model reads it (its text, or its JSON as text),
 *     before any cut
 * @param preview its first {@link ToolResults#PREVIEW_CHARS} characters at most
 */
public record StoredResult(String id, int chars, String preview) {}
