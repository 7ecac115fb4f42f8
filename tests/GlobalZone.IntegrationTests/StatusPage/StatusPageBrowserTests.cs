using System.Diagnostics;
using GlobalZone.IntegrationTests.Api;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace GlobalZone.IntegrationTests.StatusPage;

/// <summary>
/// The status page in a real headless browser (Debian's chromium driven through chromium-driver, both installed by
/// test.sh as root): it draws the three sites and their members, shows a lock's holder once one is taken, and shows a
/// killed member down within a couple of seconds. A screenshot is kept under tests/TestResults/status-page/.
/// </summary>
public sealed class StatusPageBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriverFolder = "/usr/bin";
    private const string ChromeDriverFile = "chromedriver";

    // The page's feed sends every 500 ms and a member counts as down about 1.4 s after its last progress report: the
    // issue asks for "within a second or two"; the margin is for a busy 2-core machine.
    private static readonly TimeSpan ShowsDownWithin = TimeSpan.FromSeconds(4);

    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("status-page", "1+1+1", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task ThePageShowsTheSitesALocksHolderAndAKilledMemberGoingDown()
    {
        Assert.True(File.Exists(Chromium) && File.Exists(Path.Combine(ChromeDriverFolder, ChromeDriverFile)),
            "Debian's chromium and chromium-driver are needed (test.sh installs them as root: apt-get install chromium chromium-driver)");
        var leader = await cluster!.WaitForLeaderAsync();
        var follower = cluster.Members.First(m => m.Id != leader.Id && !m.Id.Contains("-w", StringComparison.Ordinal));
        var profile = Directory.CreateTempSubdirectory("gz-chromium-");
        try
        {
            using var driver = StartBrowser(profile.FullName);
            driver.Navigate().GoToUrl(leader.Url.TrimEnd('/') + "/ui/");
            if (cluster.Credentials is { } credentials)
            {
                await WaitForAsync(driver, d => d.FindElements(By.CssSelector("#signin.shown")).Count == 1, TimeSpan.FromSeconds(30), "the sign-in form (auth is on)");
                SignIn(driver, credentials);
            }

            // Every member of the three sites, up.
            foreach (var member in cluster.Members)
                await WaitForAsync(driver, d => State(d, member.Id) == "up", TimeSpan.FromSeconds(30), $"{member.Id} shown up");
            Assert.Equal(3, driver.FindElements(By.CssSelector(".site")).Count);
            // Read through the wait: the live feed redraws the page, so an element found a moment ago can be gone (stale).
            await WaitForAsync(driver, d => d.FindElement(By.CssSelector($"[data-member='{leader.Id}']")).Text.Contains("leader", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10), $"{leader.Id} shown as leader");

            // A lock taken through the API appears with its holder.
            var client = cluster.Client(leader);
            var lease = await ApiHttp.GrantLeaseAsync(client, 60);
            var grant = await ApiHttp.PostAsync(client, "/v1/locks/ui/deploy", $$"""{"lease":{{lease}},"owner":"browser-test"}""");
            Assert.Equal(200, grant.Code);
            await WaitForAsync(driver, d => d.FindElements(By.CssSelector("[data-lock='ui/deploy'] .holder")).FirstOrDefault()?.Text.Contains("browser-test", StringComparison.Ordinal) == true,
                TimeSpan.FromSeconds(10), "the lock's holder shown");

            // A killed member shows down within a couple of seconds.
            var clock = Stopwatch.StartNew();
            follower.Kill();
            await WaitForAsync(driver, d => State(d, follower.Id) == "down", ShowsDownWithin, $"{follower.Id} shown down");
            output.WriteLine($"{follower.Id} shown down {clock.Elapsed.TotalSeconds:F2} s after kill -9");
            Assert.Equal("up", State(driver, leader.Id));

            var folder = Path.Combine(TestCluster.ResultsFolder, "..", "status-page");
            Directory.CreateDirectory(folder);
            var screenshot = Path.GetFullPath(Path.Combine(folder, "status-page.png"));
            ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(screenshot);
            Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
            output.WriteLine($"screenshot: {screenshot}");
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    private static ChromeDriver StartBrowser(string profile)
    {
        var service = ChromeDriverService.CreateDefaultService(ChromeDriverFolder, ChromeDriverFile);
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        // As root, in a closed network: no sandbox, and none of chromium's background connections (each refused).
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--ignore-certificate-errors", "--window-size=1400,1000", "--user-data-dir=" + profile);
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static void SignIn(IWebDriver driver, SuiteSecurity.Credentials credentials)
    {
        driver.FindElement(By.Id("user")).SendKeys(credentials.User);
        driver.FindElement(By.Id("password")).SendKeys(credentials.Password);
        driver.FindElement(By.CssSelector("#signin-form button")).Click();
    }

    private static string? State(IWebDriver driver, string memberId)
        => driver.FindElements(By.CssSelector($"[data-member='{memberId}']")).FirstOrDefault()?.GetAttribute("data-state");

    private static async Task WaitForAsync(IWebDriver driver, Func<IWebDriver, bool> condition, TimeSpan within, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (condition(driver))
                    return;
            }
            catch (StaleElementReferenceException)
            {
                // the page redrew between finding and reading; look again
            }

            Assert.True(deadline.Elapsed < within, $"timed out after {within.TotalSeconds:F0} s waiting for {what}; page: {driver.FindElement(By.TagName("body")).Text}");
            await Task.Delay(100);
        }
    }
}
