import Foundation
import Postgres

/// The console's record of what admins did: one `audit_events` row (kind `console_action`) per
/// action, written in the action's own transaction, so an action and its record stand or fall together.
enum ConsoleAudit {
    struct Entry: Sendable {
        let id: Int64
        let at: Date
        let user: String
        let summary: String
    }

    /// Records an action; returns the row's id.
    static func record(action: String, summary: String, target: [String: String], user: ConsoleUser,
                       on connection: isolated PostgresConnection) throws -> Int64 {
        let targetJSON = String(decoding: try JSONSerialization.data(withJSONObject: target, options: [.sortedKeys]), as: UTF8.self)
        return try connection.query("""
            INSERT INTO audit_events (kind, actor_kind, detail)
            VALUES ('console_action', 'admin',
                    jsonb_build_object('action', \(action)::text, 'summary', \(summary)::text, 'user', \(user.name)::text,
                                       'role', \(user.role.rawValue)::text)
                    || \(targetJSON)::jsonb)
            RETURNING id
            """).scalar(Int64.self)
    }

    /// The latest actions, newest first.
    static func latest(limit: Int, on connection: isolated PostgresConnection) throws -> [Entry] {
        try entries(connection.query("""
            SELECT id, occurred_at, detail::text FROM audit_events WHERE kind = 'console_action' ORDER BY id DESC LIMIT \(limit)
            """))
    }

    /// One action, when `id` is one.
    static func entry(_ id: Int64, on connection: isolated PostgresConnection) throws -> Entry? {
        try entries(connection.query("SELECT id, occurred_at, detail::text FROM audit_events WHERE id = \(id) AND kind = 'console_action'")).first
    }

    private static func entries(_ result: PostgresResult) throws -> [Entry] {
        try result.map { row in
            let detail = (try? JSONSerialization.jsonObject(with: Data(try row.decode(String.self, at: 2).utf8))) as? [String: Any] ?? [:]
            let name = detail["user"] as? String ?? ""
            let role = detail["role"] as? String ?? "admin"
            return Entry(id: try row.decode(Int64.self, at: 0), at: try row.decode(Date.self, at: 1),
                         user: name.isEmpty ? role : "\(name) (\(role))", summary: detail["summary"] as? String ?? "")
        }
    }
}
