import CommandSupport
import Logging
import Synchronization
import Testing

@Suite("Logs keep personal data out")
struct LogRedactionTests {
    @Test("addresses and phone numbers become placeholders; ids, counts, times and codes stay", arguments: [
        ("550 5.1.1 <olena.k@example.com.ua>: Recipient address rejected", "550 5.1.1 <<email>>: Recipient address rejected"),
        ("Key (value)=(+380 67 123 45 67) already exists", "Key (value)=(<phone>) already exists"),
        ("Twilio error 21211: '+14155550123' is not a valid phone number", "Twilio error 21211: '<phone>' is not a valid phone number"),
        ("job.id=4711 attempt=3 at 2026-12-03T10:15:00+00:00 took 12.5 s", "job.id=4711 attempt=3 at 2026-12-03T10:15:00+00:00 took 12.5 s"),
        ("HTTP 429 from provider 3; retry in +30 s", "HTTP 429 from provider 3; retry in +30 s"),
    ])
    func redaction(_ pair: (String, String)) {
        #expect(LogRedaction.redact(pair.0) == pair.1)
    }

    @Test("the handler redacts the message and every metadata value before the line is written")
    func handler() {
        let captured = Captured()
        var logger = Logger(label: "test") { _ in RedactingLogHandler(Capturing(captured: captured)) }
        logger.logLevel = .info
        logger.warning("send to ann@example.com failed", metadata: ["error": "refused +48601000001", "job.id": "12", "list": ["x@y.example"]])
        let line = captured.lines.withLock { $0.joined() }
        #expect(line.contains("send to <email> failed") && line.contains("refused <phone>") && line.contains("job.id=12") && line.contains("<email>"))
        #expect(!line.contains("ann@example.com") && !line.contains("+48601000001") && !line.contains("x@y.example"))
    }
}

final class Captured: Sendable {
    let lines = Mutex<[String]>([])
}

struct Capturing: LogHandler {
    let captured: Captured
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        captured.lines.withLock { $0.append("\(event.message) \(fields)") }
    }
}
