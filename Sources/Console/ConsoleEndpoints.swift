public import Hummingbird
import Foundation
import HTTPTypes
public import Logging
public import Postgres

/// The operator console under its path prefix: a page per tab (`GET {prefix}/queues` …) and one
/// address for every action (`POST {prefix}/act`), which answers with a redirect back to the
/// tab (post/redirect/get), so reloading a page never repeats an action.
public struct ConsoleEndpoints: Sendable {
    let configuration: ConsoleConfiguration
    let access: ConsoleAccess
    let pool: PostgresPool
    let logger: Logger
    /// Largest form accepted: the console's forms are a few hundred bytes.
    static let maximumFormBytes = 16 * 1024

    public init(configuration: ConsoleConfiguration, pool: PostgresPool, logger: Logger) {
        self.configuration = configuration
        self.access = ConsoleAccess(configuration)
        self.pool = pool
        self.logger = logger
    }

    public func addRoutes(to router: Router<BasicRequestContext>) {
        let prefix = configuration.pathPrefix
        let group = router.group(RouterPath(prefix))
        guard configuration.isEnabled else {
            let off: @Sendable (Request, BasicRequestContext) async -> Response = { _, _ in
                ConsolePage.message("The console is off", "Set \(ConsoleConfiguration.adminTokenVariable) (and, for read-only access, "
                                    + "\(ConsoleConfiguration.readerTokenVariable)) in serve's environment to turn it on.", status: .notFound)
            }
            for path in ["", ":tab", "act"] {
                group.get(RouterPath(path), use: off)
                group.post(RouterPath(path), use: off)
            }
            return
        }
        group.get { request, _ in
            await self.signedIn(request) { _ in Self.redirect(to: "\(prefix)/\(ConsolePage.Tab.queues.rawValue)") }
        }
        group.get(":tab") { request, context in
            await self.signedIn(request) { user in
                guard let tab = ConsolePage.Tab(rawValue: context.parameters.get("tab") ?? "") else {
                    return ConsolePage.message("No such page", "The console has no page here. Its pages: "
                                               + ConsolePage.Tab.allCases.map(\.title).joined(separator: ", ") + ".", status: .notFound)
                }
                let done = request.uri.queryParameters.get("done").flatMap { Int64($0) }
                var query: [String: String] = [:]
                for name in ["from", "to", "store", "lang"] { query[name] = request.uri.queryParameters.get(name) }
                // The report speaks the admin's language: ?lang=, else the browser's Accept-Language.
                query["accept-language"] = request.headers[.acceptLanguage]
                return await self.page(tab, user: user, done: done, query: query)
            }
        }
        group.post("act") { request, _ in
            await self.signedIn(request) { user in await self.act(request, user: user) }
        }
    }

    /// Runs `body` for a signed-in user; anyone else is asked for credentials.
    private func signedIn(_ request: Request, _ body: (ConsoleUser) async -> Response) async -> Response {
        guard let user = access.user(authorization: request.headers[.authorization]) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Basic realm=\"Switchboard console\", charset=\"UTF-8\""
            return ConsolePage.message("Sign in to the console", "Use the console's admin or read-only token as the password "
                                       + "(any user name), or send it as a bearer token.", status: .unauthorized, headers: headers)
        }
        return await body(user)
    }

    private func page(_ tab: ConsolePage.Tab, user: ConsoleUser, done: Int64? = nil, problem: String? = nil,
                      status: HTTPResponse.Status = .ok, query: [String: String] = [:]) async -> Response {
        let shared = ConsoleTabs.Shared(prefix: configuration.pathPrefix, formToken: access.formToken(), isAdmin: user.role == .admin,
                                        query: query)
        do {
            let (content, notice) = try await pool.withConnection { connection in
                try await connection.transaction { connection in
                    // Every figure on the page from one snapshot, and a page never writes.
                    try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    let content = try ConsoleTabs.render(tab, shared, on: connection)
                    return (content, try done.flatMap { try ConsoleAudit.entry($0, on: connection)?.summary })
                }
            }
            return ConsolePage(tab: tab, prefix: configuration.pathPrefix, user: user, content: content,
                               notice: notice, problem: problem).response(status)
        } catch {
            return unavailable(error)
        }
    }

    private func act(_ request: Request, user: ConsoleUser) async -> Response {
        guard user.role == .admin else {
            return ConsolePage.message("Read-only access", "This token may look but not act: pausing, resuming and retrying need the admin token.",
                                       status: .forbidden)
        }
        // Browsers say where a form came from; one from another site is refused whatever it carries.
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            return ConsolePage.message("Refused", "The console takes actions only from its own pages.", status: .forbidden)
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            return ConsolePage.message("Unsupported form", "Actions are posted as application/x-www-form-urlencoded forms.",
                                       status: .unsupportedMediaType)
        }
        let form: ConsoleForm
        do {
            form = ConsoleForm.decode(try await request.body.collect(upTo: Self.maximumFormBytes))
        } catch {
            return ConsolePage.message("Form too large", "An action's form is at most \(Self.maximumFormBytes) bytes.", status: .contentTooLarge)
        }
        guard access.acceptsFormToken(form.csrf) else {
            return ConsolePage.message("This page has expired", "Its forms are valid for \(Int(ConsoleAccess.formLifetime / 3600)) hours "
                                       + "(and only from the console's own pages): reload it and try again.", status: .forbidden)
        }
        guard let action = form.action.flatMap(ConsoleAction.init(rawValue:)) else {
            return ConsolePage.message("Unknown action", "The console's actions: "
                                       + ConsoleAction.allCases.map(\.rawValue).joined(separator: ", ") + ".", status: .badRequest)
        }
        do {
            let id = try await pool.withConnection { connection in
                try await connection.transaction { connection in
                    let (summary, target) = try action.perform(form, by: user, on: connection)
                    return try ConsoleAudit.record(action: action.rawValue, summary: summary, target: target, user: user, on: connection)
                }
            }
            logger.notice("console action", metadata: ["console.action": "\(action.rawValue)", "audit.id": "\(id)", "console.user": "\(user.name)"])
            return Self.redirect(to: "\(configuration.pathPrefix)/\(action.tab.rawValue)?done=\(id)")
        } catch let refusal as ConsoleRefusal {
            return await page(action.tab, user: user, problem: refusal.message, status: refusal.kind == .badRequest ? .badRequest : .conflict)
        } catch {
            return unavailable(error)
        }
    }

    private func unavailable(_ error: any Error) -> Response {
        logger.warning("the console cannot reach the database", metadata: ["error": "\(error)"])
        var headers = HTTPFields()
        headers[.retryAfter] = "10"
        return ConsolePage.message("The database does not answer", "The console shows nothing it cannot read. Try again in a few seconds; "
                                   + "/readyz says whether the database is back.", status: .serviceUnavailable, headers: headers)
    }

    static func redirect(to location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

}

/// The fields of an action's form; a field that is missing or malformed is nil.
struct ConsoleForm: Decodable {
    var action: String?
    var csrf: String?
    var queue: String?
    var id: String?

    /// The form in `buffer` (`application/x-www-form-urlencoded`), decoded by Hummingbird; a body
    /// that is no such form gives no fields.
    static func decode(_ buffer: ByteBuffer) -> ConsoleForm {
        (try? URLEncodedFormDecoder().decode(ConsoleForm.self, from: String(buffer: buffer))) ?? ConsoleForm()
    }
}
