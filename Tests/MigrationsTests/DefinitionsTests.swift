import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

@Suite("Definitions")
struct DefinitionsTests {
    let table = Migration(version: 1, name: "answers", sql: "CREATE TABLE answers (value int);")
    let second = Migration(version: 2, name: "more", sql: "CREATE TABLE more_answers (value int);")

    func answer(_ value: Int) -> Definition {
        Definition(name: "answer", sql: "CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS $$ SELECT \(value) $$;")
    }

    @Test("a definitions file is applied after the migrations, again only when its text changes or a migration was applied")
    func appliedWhenChanged() async throws {
        try await TestDatabase.withConnection("defs") { (connection, _) async throws in
            let view = Definition(name: "view", sql: "CREATE OR REPLACE VIEW answer_view AS SELECT answer() AS value;")
            let first = try await Migrator(migrations: [table], definitions: [answer(1), view]).migrate(on: connection)
            #expect(first.definitionsApplied.map(\.name) == ["answer", "view"])
            #expect(try await connection.query("SELECT value FROM answer_view").scalar(Int.self) == 1)

            let again = try await Migrator(migrations: [table], definitions: [answer(1), view]).migrate(on: connection)
            #expect(again.definitionsApplied.isEmpty && again.definitionsUnchanged == 2)

            let changed = try await Migrator(migrations: [table], definitions: [answer(2), view]).migrate(on: connection)
            #expect(changed.definitionsApplied.map(\.name) == ["answer"])
            #expect(try await connection.query("SELECT value FROM answer_view").scalar(Int.self) == 2)

            // A new migration may have dropped what the definitions made: all of them are applied again.
            try await connection.execute("DROP VIEW answer_view")
            let migrated = try await Migrator(migrations: [table, second], definitions: [answer(2), view]).migrate(on: connection)
            #expect(migrated.applied.map(\.version) == [2])
            #expect(migrated.definitionsApplied.map(\.name) == ["answer", "view"])
            #expect(try await connection.query("SELECT value FROM answer_view").scalar(Int.self) == 2)
        }
    }

    @Test("a failing definitions file is named with its line and the server's message, and nothing of the step is applied")
    func failingDefinition() async throws {
        try await TestDatabase.withConnection("baddefs") { (connection, _) async throws in
            try await Migrator(migrations: [table], definitions: [answer(1)]).migrate(on: connection)
            let broken = Definition(name: "broken", sql: "-- a comment\n\nCREATE OR REPLACE VIEW v AS SELEC 1;")
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: [table], definitions: [answer(2), broken]).migrate(on: connection)
            }
            #expect(error?.description.contains("sql/definitions/broken.sql failed at line 3") == true)
            #expect(error?.description.contains("42601") == true)
            #expect(error?.code == .definitionsFailed)
            // answer.sql's new text came first in the same step: it was rolled back with it.
            #expect(try await connection.query("SELECT answer()").scalar(Int.self) == 1)
            let status = try await Migrator(migrations: [table], definitions: [answer(2), broken]).status(on: connection)
            #expect(status.definitions.map(\.state) == [.appliedOtherText(status.definitions[0].state.date!), .pending])
        }
    }

    @Test("migrate --status lists migrations and definitions files, pending, applied or changed")
    func status() async throws {
        try await TestDatabase.withConnection("defstatus") { (connection, _) async throws in
            let before = try await Migrator(migrations: [table], definitions: [answer(1)]).status(on: connection)
            #expect(before.migrations.map(\.state) == [.pending] && before.definitions.map(\.state) == [.pending])
            try await Migrator(migrations: [table], definitions: [answer(1)]).migrate(on: connection)
            let after = try await Migrator(migrations: [table, second], definitions: [answer(1)]).status(on: connection)
            #expect(after.migrations.map(\.state.isApplied) == [true, false])
            #expect(after.definitions.map(\.state.isApplied) == [true])
        }
    }

    @Test("a migration whose text changed is accepted when it declares the applied text's checksum, and the ledger takes the new one")
    func previousChecksum() async throws {
        try await TestDatabase.withConnection("prevsum") { (connection, _) async throws in
            let original = Migration(version: 1, name: "answers", sql: "CREATE TABLE answers (value int);\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n")
            try await Migrator(migrations: [original], definitions: []).migrate(on: connection)
            let applied = try await Migrator(migrations: [original], definitions: []).applied(on: connection)[0].checksum
            let slimmer = Migration(version: 1, name: "answers", sql: "-- previously applied as sha256:\(applied)\nCREATE TABLE answers (value int);\n")
            let report = try await Migrator(migrations: [slimmer], definitions: []).migrate(on: connection)
            #expect(report.applied.isEmpty && report.alreadyApplied == 1)
            let recorded = try await Migrator(migrations: [slimmer], definitions: []).applied(on: connection)[0].checksum
            #expect(recorded != applied && recorded.count == 64)
            // Any other edit is still refused.
            let edited = Migration(version: 1, name: "answers", sql: "-- previously applied as sha256:\(String(repeating: "0", count: 64))\nCREATE TABLE answers (value bigint);\n")
            await #expect(throws: MigrationError.self) { try await Migrator(migrations: [edited], definitions: []).migrate(on: connection) }
        }
    }

    @Test("a database migrated to 0009 before sql/definitions existed upgrades in place to exactly what a fresh one gets")
    func upgradeInPlaceEqualsFresh() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "MigrationsAt0009")
        let files = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == 9)
        let at0009 = try files.map { file in
            Migration(version: Int(file.prefix(4))!, name: String(file.dropFirst(5).dropLast(4)),
                      sql: try String(contentsOf: fixtures.appending(path: file), encoding: .utf8))
        }
        let upgraded = try await TestDatabase.freshSchema("upgraded")
        let fresh = try await TestDatabase.freshSchema("fresh")
        let old = try await upgraded.connect()
        try await Migrator(migrations: at0009, definitions: []).migrate(on: old)
        let at0009Catalog = try await Self.catalog(old, schema: upgraded.name)
        let report = try await Migrator().migrate(on: old)
        // Only the migrations written after 0009 are new to it.
        #expect(report.applied.map(\.version) == Migration.embedded.map(\.version).filter { $0 > 9 }.sorted())
        #expect(report.alreadyApplied == at0009.count)
        #expect(report.definitionsApplied.count == Definition.embedded.count)
        let new = try await fresh.connect()
        try await Migrator().migrate(on: new)

        let upgradedCatalog = try await Self.catalog(old, schema: upgraded.name)
        let freshCatalog = try await Self.catalog(new, schema: fresh.name)
        #expect(upgradedCatalog.filter { $0.hasPrefix("function ") }.count > 50)
        #expect(upgradedCatalog.filter { $0.hasPrefix("trigger ") }.count > 20)
        #expect(upgradedCatalog.filter { $0.hasPrefix("view ") }.count >= 2)
        let onlyUpgraded = upgradedCatalog.filter { !freshCatalog.contains($0) }
        let onlyFresh = freshCatalog.filter { !upgradedCatalog.contains($0) }
        #expect(onlyUpgraded.isEmpty, "only in the upgraded schema: \(onlyUpgraded.joined(separator: "\n"))")
        #expect(onlyFresh.isEmpty, "only in the fresh schema: \(onlyFresh.joined(separator: "\n"))")
        // The definitions are what 0009 left, but for the objects changed on purpose since.
        let drifted = freshCatalog.symmetricDifference(at0009Catalog)
            .filter { entry in !Self.changedSince0009.contains { entry.hasPrefix($0) } }
        #expect(drifted.isEmpty, "differs from 0009 without being listed in changedSince0009: \(drifted.sorted().joined(separator: "\n"))")
        // Both ledgers agree too: the upgraded one records the texts of this build.
        let status = try await Migrator().status(on: old)
        #expect(status.migrations.allSatisfy { $0.state.isCurrent } && status.definitions.allSatisfy { $0.state.isCurrent })
        await old.close()
        await new.close()
        try await upgraded.drop()
        try await fresh.drop()
    }

    /// Catalog entries (by their first line's start, as ``catalog(_:schema:)`` prints it) that
    /// sql/definitions changed on purpose after 0009; every other entry must be as 0009 left it.
    static let changedSince0009: [String] = [
        // jit = off beside enable_seqscan = off (issue 15: agents idle while customers waited).
        "function offer_waiting(bigint)", "function offer_waiting_all()",
        "function record_auto_answers(bigint[],text[],text[],text[])",
        // One definition of eligibility and of the decision's reason for both routing paths.
        "function routing_ineligibility(", "function routing_reason(", "function routing_candidates(",
        "function route_conversation(", "function route_conversations(",
        // Routing in steps both paths share: one ranking, one way to apply a decision (issue 15).
        "function routing_rank(", "function routing_apply(", "function routing_take(",
        "function routing_batch_members(", "function routing_batch_decide_team(",
        // Ingest in steps both paths share (issue 15); order_number_candidates dropped by 0010.
        "function ingest_message(", "function ingest_batch(", "function order_number_candidates(",
        "function ingest_items_", "function ingest_claim_customers(", "function ingest_add_customers(",
        "function ingest_place_fast(", "function ingest_store_messages(", "function ingest_link_orders(",
        "function ingest_rule_matches(", "function ingest_match_rules(", "function ingest_choose_answers(",
        "function ingest_update_conversations(", "function ingest_record_outcomes(", "function ingest_current_items(",
        "function ingest_stored_copy(", "function ingest_live_conversation(", "function ingest_resolved_conversation(",
        "function ingest_replied_conversation(", "function ingest_find_conversation(", "function ingest_record_automatic(",
        // HTTP intake (0021_http_intake.sql, sql/definitions/intake.sql).
        "column intake_", "constraint intake_", "index CREATE UNIQUE INDEX intake_", "function intake_",
        "index CREATE INDEX inbound_messages_external ", "column inbound_messages_external ",
        "index CREATE INDEX order_events_external ", "column order_events_external ", "column order_events external_id ",
        "constraint order_events order_events_external_id_given ",
        // 0023: the console audit page's index.
        "index CREATE INDEX audit_events_console ", "column audit_events_console ",
        // 0024 and sql/definitions/metrics.sql: the report calendar and the service metrics.
        "column stores report_calendar_id ", "constraint stores stores_report_calendar_id_fkey ",
        "view conversation_facts", "column conversation_facts ", "view service_metrics_daily", "column service_metrics_daily ",
        "function conversation_waits(", "function service_metrics(", "function service_backlog(",
        // 0028 and sql/definitions/metrics.sql: the kept facts and their stale marks.
        "column service_facts", "constraint service_facts", "index CREATE INDEX service_facts", "index CREATE UNIQUE INDEX service_facts",
        "function service_facts_", "trigger CREATE TRIGGER service_facts_", "view service_facts_current",
        "function service_metrics_daily_of(", "function service_sums_of(",
        "index CREATE INDEX outbox_survey_status ", "column outbox_survey_status ",
        // 0025 and sql/definitions/surveys.sql: surveys.
        "column survey", "constraint survey", "index CREATE UNIQUE INDEX survey", "index CREATE INDEX survey", "function survey",
        "trigger CREATE TRIGGER surveys_follow_", "view survey_metrics_daily",
        // The queue depth KEDA scales the worker roles on (deploy/kubernetes), and the process kinds' roles (0029, roles.sql).
        "function queue_available(", "function switchboard_grant_roles(", "function switchboard_role_list",
        // Categories that learn (0030, categories.sql): labelled examples and model versions.
        "column category_examples", "constraint category_examples", "index CREATE INDEX category_examples", "index CREATE UNIQUE INDEX category_examples",
        "column category_models", "constraint category_models", "index CREATE UNIQUE INDEX category_models", "function set_conversation_category(",
        // What decided a conversation's category, and each store's threshold for the model (0032).
        "column conversations category_", "constraint conversations conversations_category_decided_by_check",
        "column stores category_model_threshold ", "constraint stores stores_category_model_threshold_range ",
        // The rules' verdict defined once (ingest and the evaluation), rules that yield to the model (0035), and
        // retraining: the examples' fingerprint and the announcement of a new version (0034).
        "function category_rules_best(", "column category_rules yields_to_model ", "function category_examples_digest(",
        "function category_models_announce(", "trigger CREATE TRIGGER category_models_announce ",
        // Round-robin turns under an advisory lock, not the team's row (the worker role only reads teams).
        "function routing_team_lock_key(",
        // Advisory lock keys name the schema, so schemas sharing a database never wait on each other.
        "function lock_customer(", "function customer_lock_key(",
        // The notification worker (0011_notify.sql, sql/definitions/notify.sql).
        "column notify_", "constraint notify_", "index CREATE INDEX notify_", "index CREATE UNIQUE INDEX notify_",
        "column outbox provider_id ", "column outbox provider_message_id ", "column outbox email_message_id ",
        "column outbox sending_at ", "constraint outbox outbox_provider_id_fkey ", "trigger CREATE TRIGGER outbox_enqueue ",
        "view notify_history", "function notify_", "function enqueue_notify_jobs(",
        // Delivery receipts by the provider's id for a message (0013).
        "column outbox delivery_status", "constraint outbox outbox_delivery_status_check ",
        "index CREATE INDEX outbox_provider_message ", "column outbox_provider_message ",
        // Consent (0014, sql/definitions/consent.sql): the ledger and its keywords, every outbox
        // row's purpose (its writers say it), the suppressed status, the consent inbound status.
        "column consent_", "constraint consent_", "index CREATE INDEX consent_", "index CREATE UNIQUE INDEX consent_",
        "trigger CREATE TRIGGER consent_events_append_only ", "function consent_", "function record_consent(",
        "function ingest_consent_keyword(", "function merge_customers(", "function reply_to_conversation(",
        "function escalate_sla_breach(", "column outbox purpose ", "constraint outbox outbox_purpose_known ",
        "constraint outbox outbox_status_", "constraint inbound_messages inbound_messages_status_valid ",
        // Time and fatigue (0015, sql/definitions/notify_timing.sql).
        "column customers time_zone ", "trigger CREATE TRIGGER customers_time_zone_valid ", "function validate_customer_time_zone(",
        "column stores quiet_hours_", "constraint stores stores_quiet_hours_", "column outbox urgent ",
        "column phone_time_zones", "constraint phone_time_zones ", "index CREATE UNIQUE INDEX phone_time_zones_pkey ",
        // Templates and order notices (0016, 0017, notify_templates.sql, notify_notices.sql).
        "column notification_rules", "constraint notification_rules ", "index CREATE UNIQUE INDEX notification_rules_",
        "column outbox order_id ", "column outbox template_kind ", "column outbox variables ", "column outbox body_text ",
        "constraint outbox outbox_order_id_fkey ", "constraint outbox outbox_template_kind_format ",
        "constraint outbox outbox_text_or_template ", "constraint outbox outbox_variables_object ",
        "trigger CREATE TRIGGER notify_templates_valid ", "function apply_order_event(", "function validate_notify_template(",
        // Customer links and the signed Reply-To (0018, customer_links.sql).
        "column customer_links", "constraint customer_links ", "index CREATE INDEX customer_links_", "index CREATE UNIQUE INDEX customer_links_",
        "function customer_link_", "function reply_token_",
        // Operators' retry and cancel (0019); bounces suppress (ingest_record_automatic, listed above).
        "column outbox requeued_at ",
        // WhatsApp's window and channel fallback (0020).
        "column outbox fallback_channels ", "constraint outbox outbox_fallback_channels_known ",
    ]

    /// Every function, view, trigger, constraint, index and column of the schema, as the server
    /// prints them, with the schema's name taken out.
    static func catalog(_ connection: PostgresConnection, schema: String) async throws -> Set<String> {
        let rows = try await connection.query("""
            SELECT 'function ' || p.oid::regprocedure::text || E'\n' || pg_get_functiondef(p.oid)
                   || ' config=' || coalesce(array_to_string(p.proconfig, ','), '') || ' acl=' || coalesce(p.proacl::text, '')
              FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'view ' || c.relname || E'\n' || pg_get_viewdef(c.oid)
              FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v'
            UNION ALL
            SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
              FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
            UNION ALL
            SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'index ' || pg_get_indexdef(i.indexrelid)
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = current_schema()::regnamespace
            UNION ALL
            SELECT 'column ' || a.attrelid::regclass::text || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                   || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
            """)
        return Set(try rows.map { try $0.decode(String.self, at: 0).replacingOccurrences(of: schema, with: "«schema»") })
    }
}

extension MigrationStatus.State {
    var date: Date? {
        switch self {
        case .pending: return nil
        case .applied(let date), .appliedOtherText(let date): return date
        }
    }
    var isApplied: Bool { date != nil }
}
