// mlgate-comment: creates or updates one sticky PR/MR comment (GitHub, GitLab).
#include "mlgate/base/runtime.hpp"
#include "mlgate/platforms/cli.hpp"
#include "mlgate/platforms/comment.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "mlgate-comment: posts a report as one PR/MR comment, updated in place on every run "
      "(found by its hidden marker). Tokens come from GITHUB_TOKEN / GITLAB_TOKEN and never appear "
      "in output."};
  mlgate::CommentOptions o;
  long long pr = 0;
  app.add_option("--body", o.body_file, "Markdown file to post (e.g. mlgate-report --markdown)")
      ->required();
  app.add_option("--provider", o.provider, "The forge (auto: from the CI environment)")
      ->check(mlgate::choice({"auto", "github", "gitlab"}))
      ->capture_default_str();
  app.add_option("--marker", o.marker, "Hidden marker identifying the comment")
      ->capture_default_str();
  auto* pr_opt =
      app.add_option("--pr", pr, "Pull/merge request number (default: from the CI environment)");
  app.add_option("--author", o.author,
                 "Login whose marked comment is updated (default: the token's own identity; "
                 "github-actions[bot] where GitHub refuses GET /user)");
  app.add_flag("--dry-run", o.dry_run, "Print the requests (token redacted); send nothing");
  app.add_flag("--soft-fail", o.soft_fail, "On failure, warn and exit 0");
  app.add_option("--retries", o.retries, "Retries on 5xx, 429 and rate-limited 403")
      ->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "Overall seconds, retries included")
      ->capture_default_str();
  mlgate::ToolSpec spec;
  spec.examples = {
      "GITHUB_TOKEN=... mlgate-comment --body report.md   (in a pull request's workflow)",
      "mlgate-comment --body report.md --dry-run --verbose",
  };
  spec.exit_codes =
      "  0  the comment was created or updated (or --soft-fail warned)\n"
      "  2  error: no token, no pull request, or the forge refused (one line says which)\n";
  return mlgate::run_main(
      "mlgate-comment", app, argc, argv,
      [&] {
        if (pr_opt->count()) o.pr = pr;
        o.verbose = mlgate::runtime().verbose;
        return mlgate::run_comment(o);
      },
      spec);
}
