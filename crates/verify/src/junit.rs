//! JUnit XML for CI: a testsuite per check family, a testcase per check, failures carrying the
//! error findings of that check (warnings go to the testcase's system-out).

use crate::finding::{CHECKS, Finding, Severity};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

pub fn render(source: &str, findings: &[Finding]) -> Result<String, crate::VerifyError> {
    let mut report = Report::new(format!("veloscope verify {source}"));
    let mut families: Vec<_> = CHECKS.iter().map(|c| c.1).collect();
    families.dedup();
    for family in families {
        let mut suite = TestSuite::new(family.name());
        for (code, _, _, what) in CHECKS.iter().filter(|c| c.1 == family) {
            let mine: Vec<&Finding> = findings.iter().filter(|f| f.code == *code).collect();
            let errors: Vec<&&Finding> = mine
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            let lines = |fs: &[&&Finding]| {
                fs.iter()
                    .map(|f| format!("{}: {}", f.entry, f.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let status = if errors.is_empty() {
                TestCaseStatus::success()
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!(
                    "{} finding(s): {}",
                    errors.len(),
                    errors[0].message
                ));
                s.set_description(lines(&errors));
                s
            };
            let mut case = TestCase::new(*code, status);
            case.set_classname(format!("veloscope.verify.{}", family.name()));
            let warnings: Vec<&&Finding> = mine
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .collect();
            if !warnings.is_empty() {
                case.set_system_out(format!("{what}\nwarnings:\n{}", lines(&warnings)));
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report
        .to_string()
        .map_err(|e| crate::VerifyError::Junit(e.to_string()))
}
