"""Drives the operator console and a customer's link pages in headless Chromium (Debian's
chromium and chromium-driver, through Selenium), as people would: it reads, clicks the buttons,
and saves a screenshot of each page. Exits non-zero with the first thing that was not as expected.

Usage: browser_pages.py BASE ADMIN_TOKEN READER_TOKEN UNSUBSCRIBE_URL ARABIC_URL SURVEY_URL SCREENSHOT_DIR
"""
import base64
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, admin_token, reader_token, unsubscribe_url, arabic_url, survey_url, shots = sys.argv[1:8]
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,860",
                 "--lang=en-US"):
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)


def check(condition, message):
    if not condition:
        print("FAILED: " + message + "\n--- page " + driver.current_url + " ---\n" + driver.find_element(By.TAG_NAME, "body").text[:2000])
        driver.quit()
        sys.exit(1)


def sign_in(token):
    """Basic auth on every request, as a browser sends it once the user has typed the token."""
    header = "Basic " + base64.b64encode(("ops:" + token).encode()).decode()
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": header}})


def shot(name):
    driver.save_screenshot(os.path.join(shots, name + ".png"))


def follow(element):
    """Clicks `element` and waits until the page it leads to has loaded (the old page's mark is gone)."""
    driver.execute_script("window.switchboardOldPage = true")
    element.click()
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return window.switchboardOldPage === undefined && document.readyState === 'complete'"))


def banner():
    found = driver.find_elements(By.CSS_SELECTOR, ".banner")
    return found[0].text if found else ""


def click(form_action, **fields):
    """Clicks the button of the form posting `form_action` whose hidden fields have these values."""
    for form in driver.find_elements(By.CSS_SELECTOR, "form"):
        hidden = {i.get_attribute("name"): i.get_attribute("value") for i in form.find_elements(By.CSS_SELECTOR, "input[type=hidden]")}
        if hidden.get("action") == form_action and all(hidden.get(k) == str(v) for k, v in fields.items()):
            follow(form.find_element(By.TAG_NAME, "button"))
            return
    check(False, "no button for %s %s" % (form_action, fields))


def no_console_errors():
    severe = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    check(not severe, "the browser reported errors: %s" % severe)


# The console, as an admin.
sign_in(admin_token)
driver.get(base + "/console")
check(driver.current_url.endswith("/console/queues"), "the console opens on its queues")
check(driver.title.startswith("Queues"), "title: " + driver.title)
rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
check(any("mail" in row.text for row in rows), "the mail queue is listed")
check(not driver.find_elements(By.CSS_SELECTOR, ".banner"), "no notice before any action")
check(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect"), "the throughput chart has bars")
no_console_errors()
shot("console-queues")

click("pause_queue", queue="mail")
check("Paused queue mail" in banner(), "pausing says so: " + banner())
check(driver.find_elements(By.CSS_SELECTOR, ".tag.paused"), "the queue shows as paused")
click("retry_dead", queue="mail")
check("dead jobs of queue mail available again" in banner(), "retrying dead jobs says so: " + banner())
shot("console-queues-after-actions")

follow(driver.find_element(By.LINK_TEXT, "Workers"))
check("worker-a" in driver.page_source and driver.find_elements(By.CSS_SELECTOR, ".tag.leader"), "the leader is marked")
shot("console-workers")

follow(driver.find_element(By.LINK_TEXT, "Inbound"))
shot("console-inbound")
rejection = driver.find_elements(By.CSS_SELECTOR, "table")[1].find_element(By.CSS_SELECTOR, "tbody tr td").text
click("retry_inbound", id=rejection)
check("Retried inbound message" in banner(), "retrying a rejection says so: " + banner())

follow(driver.find_element(By.LINK_TEXT, "Outbox"))
check("550 5.1.1 mailbox unavailable" in driver.page_source, "the failure's reason is shown")
shot("console-outbox")
follow(driver.find_element(By.XPATH, "//button[text()='Send again']"))
check("to be sent again" in banner(), "sending again says so: " + banner())

follow(driver.find_element(By.LINK_TEXT, "Report"))
check(driver.find_elements(By.CSS_SELECTOR, ".report svg rect"), "the report draws its charts")
check("Service report" in driver.find_element(By.TAG_NAME, "h1").text, "the report's heading")
driver.set_window_size(1280, 1500)
shot("console-report")
# The same report in the admin's language, here Arabic: right to left, the charts' days still left to right.
Select(driver.find_element(By.NAME, "lang")).select_by_value("ar")
follow(driver.find_element(By.CSS_SELECTOR, ".period-form button"))
heading = driver.find_element(By.CSS_SELECTOR, ".report h1")
check(heading.text == "تقرير خدمة العملاء", "the report's heading in Arabic: " + heading.text)
check(driver.find_element(By.CSS_SELECTOR, ".report").get_attribute("dir") == "rtl", "the Arabic report is right to left")
check(driver.find_element(By.CSS_SELECTOR, ".report svg.chart").value_of_css_property("direction") == "ltr", "charts stay left to right")
shot("console-report-ar")
driver.set_window_size(1280, 860)

follow(driver.find_element(By.LINK_TEXT, "Audit"))
entries = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
check(len(entries) == 4, "four actions audited, found %d" % len(entries))
no_console_errors()
shot("console-audit")

# Read-only: the same pages, no buttons.
sign_in(reader_token)
driver.get(base + "/console/queues")
check("read-only" in driver.find_element(By.CSS_SELECTOR, "header").text, "the header says read-only")
check(not driver.find_elements(By.TAG_NAME, "button"), "a reader gets no buttons")
shot("console-read-only")

# A customer's unsubscribe link: no credentials, the page asks, the button acts.
driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
driver.get(unsubscribe_url)
check(driver.find_elements(By.CSS_SELECTOR, "form button"), "the link's page asks before acting")
shot("link-unsubscribe")
follow(driver.find_element(By.CSS_SELECTOR, "form button"))
check(driver.find_element(By.TAG_NAME, "h1").text == "Done", "unsubscribing says it is done: " + driver.find_element(By.TAG_NAME, "h1").text)
check(not driver.find_elements(By.TAG_NAME, "button"), "nothing is left to press once it is done")
shot("link-unsubscribed")
driver.get(unsubscribe_url)
check("was used already" in driver.page_source, "a used link says so")
driver.get_log("browser")  # the 410 of the used link, which the browser logs as an error: expected

driver.get(arabic_url)
direction = driver.execute_script("return getComputedStyle(document.querySelector('main')).direction")
check(direction == "rtl", "the Arabic page reads right to left, got " + direction)
check(driver.execute_script("return document.scripts.length") == 0, "the customer's page runs no script")
no_console_errors()
shot("link-unsubscribe-arabic")

# A survey, as the customer taps "5" in the message: the page shows it chosen and waits.
driver.get(survey_url + "?r=5")
chosen = driver.find_elements(By.CSS_SELECTOR, "button.chosen")
check(len(chosen) == 1 and chosen[0].get_attribute("value") == "5", "the tapped rating is chosen, and only that one")
check(driver.execute_script("return getComputedStyle(document.querySelector('main')).direction") == "rtl", "the survey reads right to left")
shot("survey-chosen")
driver.find_element(By.ID, "comment").send_keys("شكرًا على السرعة")
follow(chosen[0])
check(not driver.find_elements(By.TAG_NAME, "button"), "the answer is taken: nothing more to press")
check("5 – ممتاز" in driver.find_element(By.TAG_NAME, "main").text, "the thanks repeat the rating")
no_console_errors()
shot("survey-answered")

driver.quit()
print("ok: %d screenshots in %s" % (len(os.listdir(shots)), shots))
