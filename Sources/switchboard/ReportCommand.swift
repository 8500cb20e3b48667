import ArgumentParser
import CommandSupport
import Foundation
import Reports

/// `switchboard report`: the service report of a period, as HTML with SVG charts, JSON or CSV.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The service report of a period: response and resolution times, FCR, SLA, CSAT, NPS, CES, backlog, agents.",
        discussion: """
            Covers the conversations that began, and the surveys queued, from --from (inclusive) to --to (exclusive), \
            each store's days in its own time zone. HTML has SVG charts and opens in any browser; JSON has every figure; \
            CSV has one row per day. The definitions are in docs/metrics.md; the console shows the same at /console/report.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "First day, YYYY-MM-DD (default: 30 days before --to).") var from: String?
    @Option(help: "The day after the last, YYYY-MM-DD (default: tomorrow, UTC).") var to: String?
    @Option(help: "A store's code (default: every store).") var store: String?
    @Option(help: "html, json or csv.") var format: String = "html"
    @Option(help: "Write to this file instead of standard output.") var output: String?
    @Option(help: "The HTML's language: en, uk, ru, pl, ar or zh (default: from LC_ALL, LC_MESSAGES or LANG, else en).")
    var language: String?

    func validate() throws {
        guard ReportFormat(rawValue: format) != nil else { throw ValidationError("--format must be html, json or csv, got '\(format)'") }
        if let language, ReportText.supported(language) == nil {
            throw ValidationError("--language must be one of \(ReportText.languages.joined(separator: ", ")), got '\(language)'")
        }
        let (first, last) = try ReportPeriod.resolve(from: from, to: to)
        guard first < last else { throw ValidationError("--from (\(first)) must be before --to (\(last))") }
    }

    func run() async throws {
        let (first, last) = try ReportPeriod.resolve(from: from, to: to)
        let store = self.store
        let report = try await JobsCommand.withConnection(database) { connection in
            try ServiceReport.read(from: first, to: last, store: store, on: connection)
        }
        let words = language.map { ReportText.language($0) } ?? ReportText.environment()
        let text = try ReportRenderer.render(report, as: ReportFormat(rawValue: format)!, text: words)
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(Data("switchboard report: wrote \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
