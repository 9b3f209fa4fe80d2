// mlgate-report: result documents in every CI's native format. Every string that comes from the
// data (columns, slice and group values, messages) is escaped for the format it lands in.
#pragma once

#include <string>
#include <vector>

#include "mlgate/base/result.hpp"

namespace mlgate {

struct LoadedDoc {
  std::string path;
  ResultDoc doc;
};

// Reads result documents; a missing, unreadable or malformed one is an Error (exit 2).
std::vector<LoadedDoc> load_documents(const std::vector<std::string>& paths);
Status combined_status(const std::vector<LoadedDoc>& docs);

// Escaping for each destination.
std::string md_text(
    const std::string& s);  // Markdown text: no formatting, links, HTML or @mentions
std::string md_code(const std::string& s);  // a Markdown code span, safe inside a table cell
std::string html_escape(const std::string& s);
std::string xml_text(
    const std::string& s);  // XML 1.0 text/attribute: escaped, control characters dropped
std::string gh_command_data(const std::string& s);      // GitHub workflow command message
std::string gh_command_property(const std::string& s);  // GitHub workflow command property value

struct MarkdownOptions {
  std::string details_url;
  std::size_t max_chars = 65536;
  std::string marker = "mlgate-report";
};
std::string markdown_report(const std::vector<LoadedDoc>& docs, const MarkdownOptions& o);
// Writes index.html and style.css into dir (created if needed).
void write_html_report(const std::vector<LoadedDoc>& docs, const std::string& dir);
std::string junit_xml(const std::vector<LoadedDoc>& docs);
std::string gitlab_codequality(const std::vector<LoadedDoc>& docs);
std::string openmetrics(const std::vector<LoadedDoc>& docs);
std::string warnings_ng(const std::vector<LoadedDoc>& docs);
// The ::error / ::warning workflow commands, most important first, at most `limit` of each.
std::vector<std::string> github_annotations(const std::vector<LoadedDoc>& docs,
                                            std::size_t limit = 10);
// Appends to $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT when set; prints the annotations to stdout.
void github_outputs(const std::vector<LoadedDoc>& docs, const std::string& markdown);

struct ReportOptions {
  std::vector<std::string> inputs;
  std::string markdown, html, junit, gitlab_codequality, gitlab_metrics, warnings_ng, details_url,
      output;
  bool github = false;
};
int run_report(const ReportOptions& o);

}  // namespace mlgate
