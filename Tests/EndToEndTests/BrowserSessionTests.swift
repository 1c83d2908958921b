import Foundation
import Testing
import TestSupport

/// The SPA's pages in headless Chromium against the real gateway: register, login, a reload that
/// keeps the session, logout, and the theme setting. Screenshots go to .build/test-artifacts/.
@Suite("Browser: sign-in, session and settings (headless Chromium)", .serialized, .timeLimit(.minutes(5)))
struct BrowserSessionTests {
    @Test("the WebDriver client drives headless Chromium against the gateway")
    func browserTooling() async throws {
        try await BrowserHarness.with { harness in
            try await harness.withBrowser("tooling") { browser in
                try await browser.navigate(to: harness.baseURL + "/health")
                let text = try await browser.waitForScript("the health reply", "return document.body.textContent;")
                #expect(text.contains("\"status\""))
                #expect(try await browser.currentURL() == harness.baseURL + "/health")
                let png = try await browser.screenshot()
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            }
        }
    }

    @Test("the login page refuses a wrong password and shows the server's message")
    func wrongPassword() async throws {
        try await BrowserHarness.with { harness in
            let user = try await harness.register("wrongpw")
            try await harness.withBrowser("login-wrong-password") { browser in
                try await browser.navigate(to: harness.baseURL + "/login")
                _ = try await browser.waitForElement("#auth-form")
                try await browser.type(user.username, into: "#username")
                try await browser.type("not-the-password", into: "#password")
                try await browser.click("#auth-submit")
                let message = try await browser.waitForScript(
                    "the login error", "return document.getElementById('auth-error').textContent;")
                #expect(message == "Invalid credentials.")
                #expect(try await browser.currentURL().hasSuffix("/login"))
                await browser.saveScreenshot("login-wrong-password")
            }
        }
    }

    @Test("register through the page, a reload keeps the session, logout ends it")
    func registerReloadLogout() async throws {
        try await BrowserHarness.with { harness in
            try await harness.withBrowser("register-reload-logout") { browser in
                let username = "newbie_\(UUID().uuidString.prefix(6).lowercased())"
                try await browser.navigate(to: harness.baseURL + "/register")
                try await browser.type(username, into: "#username")
                try await browser.type("secret-pass-1", into: "#password")
                try await browser.click("#auth-submit")
                let user = SPAUser(baseURL: harness.baseURL, id: 0, username: username, password: "secret-pass-1", cookie: nil)
                try await harness.waitForApp(browser, user: user)
                #expect(try await browser.currentURL().hasSuffix("/app"))
                await browser.saveScreenshot("app-after-register")

                try await browser.refresh()
                try await harness.waitForApp(browser, user: user)
                #expect(try await browser.currentURL().hasSuffix("/app"))

                try await browser.click("#me-button")
                try await browser.clickWhenReady("#logout-button")
                try await browser.waitForScript("the login page", "return location.pathname === '/login';")
                // The token of the ended session is gone from the browser, too.
                #expect(try await browser.execute("return localStorage.getItem('cpp_token');") == nil)

                // The session is over: the app page sends the browser back to the login page.
                try await browser.navigate(to: harness.baseURL + "/app")
                try await browser.waitForScript("the redirect to /login", "return location.pathname === '/login';")
                await browser.saveScreenshot("login-after-logout")
            }
        }
    }

    @Test("the dark theme chosen in settings is stored and survives a reload")
    func themePersists() async throws {
        try await BrowserHarness.with { harness in
            let user = try await harness.register("theme")
            try await harness.withBrowser("theme") { browser in
                try await harness.signIn(browser, as: user)
                #expect(try await browser.execute("return document.body.dataset.theme;") as? String == "light")
                try await browser.click("#me-button")
                try await browser.waitForScript("the settings to load", "return document.getElementById('profile-username').textContent;")
                try await browser.click("#theme-dark")
                try await browser.click("#profile-save")
                try await browser.waitForScript("the dialog to close", "return !document.getElementById('profile-dialog').open;")

                let stored = try await user.request(.GET, "/web-api/settings")
                #expect(try stored.object()["theme"] as? String == "dark")

                try await browser.refresh()
                try await harness.waitForApp(browser, user: user)
                try await browser.waitForScript("the dark theme after reload", "return document.body.dataset.theme === 'dark';")
                await browser.saveScreenshot("app-dark-theme")
            }
        }
    }
}
