// mlgate-report: result documents as Markdown, HTML, JUnit, GitHub, GitLab and Jenkins outputs.
#include "mlgate/platforms/cli.hpp"
#include "mlgate/reports/report.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "mlgate-report: turns mlgate result documents into Markdown, HTML, JUnit XML, GitHub, GitLab "
      "and Jenkins outputs. Its exit code is the combined status, so it can be the gate."};
  mlgate::ReportOptions o;
  app.add_option("results", o.inputs, "Result documents (JSON)")->required();
  app.add_option("--markdown", o.markdown, "Markdown report (PR comment, job summary)");
  app.add_option("--html", o.html, "Folder for the HTML report (index.html, style.css)");
  app.add_option("--junit", o.junit, "JUnit XML (a testsuite per document, a testcase per check)");
  app.add_flag("--github", o.github, "GitHub Actions: step summary, outputs, annotations");
  app.add_option("--gitlab-codequality", o.gitlab_codequality, "GitLab Code Quality JSON");
  app.add_option("--gitlab-metrics", o.gitlab_metrics, "GitLab metrics report (OpenMetrics text)");
  app.add_option("--warnings-ng", o.warnings_ng, "Jenkins Warnings NG native JSON");
  app.add_option("--details-url", o.details_url,
                 "Where the full report lives, linked when the Markdown is cut");
  app.add_option("-o,--output", o.output, "Combined result document (JSON)");
  mlgate::ToolSpec spec;
  spec.examples = {
      "mlgate-report eval.json compare.json --markdown report.md --html report/ --junit "
      "junit.xml",
      "mlgate-report *.json --github   (in GitHub Actions: summary, outputs, annotations)",
  };
  spec.exit_codes =
      "  0  every document passed\n"
      "  1  some check failed (the combined status, so the report can be the gate)\n"
      "  2  error: a document unreadable or invalid, or a check that could not be evaluated\n";
  return mlgate::run_main(
      "mlgate-report", app, argc, argv, [&] { return mlgate::run_report(o); }, spec);
}
