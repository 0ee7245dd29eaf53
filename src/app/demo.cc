#include "app/demo.h"

#include <fmt/format.h>

#include <random>

#include "app/provision.h"
#include "core/random.h"

namespace vellum::app {
namespace {

namespace json = boost::json;

using identity::Role;

struct Person {
  const char* id;
  const char* name;
  std::vector<Role> roles;
};

// Reviews are recorded as status changes until the annotation workflow brings
// its own review actions; the reviewer also adjudicates, which allows them.
const Person kLead{"u-lead", "Dana Whitfield (annotation lead)", {Role::kProjectManager}};
const Person kAnnotators[] = {{"u-ann-1", "Priya Raman", {Role::kAnnotator}},
                              {"u-ann-2", "Tomás Ortega", {Role::kAnnotator}},
                              {"u-ann-3", "Mei Chen", {Role::kAnnotator}}};
const Person kReviewer{"u-rev-1", "Dr. Amara Okafor, MD", {Role::kReviewer, Role::kAdjudicator}};
const Person kAdjudicator{"u-adj-1", "Dr. Lukas Berger, MD (radiologist)", {Role::kAdjudicator}};
const Person kQuality{"u-qa-1", "Ines Duarte (quality)", {Role::kQuality}};

StatusOr<Principal> Provision(Vellum& v, const Principal& admin, const Person& p,
                              std::map<std::string, std::string>* passwords) {
  identity::User u;
  u.id = p.id;
  u.name = p.name;
  u.email = std::string(p.id) + "@demo.vellum.invalid";
  u.roles = p.roles;
  auto known = passwords->find(p.id);
  const std::string password = known != passwords->end() ? known->second : core::RandomToken(18);
  (*passwords)[p.id] = password;
  return ProvisionPerson(v, admin, std::move(u), password, "demo team member");
}

std::string DicomUid(std::mt19937_64& rng, const char* root) {
  return fmt::format("{}.{}.{}", root, rng() % 1000000000ull, rng() % 100000ull);
}

}  // namespace

std::vector<std::string> DemoTeam() {
  std::vector<std::string> ids{kLead.id, kReviewer.id, kAdjudicator.id, kQuality.id};
  for (const auto& a : kAnnotators) ids.push_back(a.id);
  return ids;
}

StatusOr<DemoSummary> FillDemo(Vellum& v, const Principal& admin, int cases,
                               std::map<std::string, std::string>* passwords) {
  DemoSummary s;
  std::mt19937_64 rng(20261125);
  const uint64_t start = v.Size();
  ASSIGN_OR_RETURN(Principal lead, Provision(v, admin, kLead, passwords));
  ASSIGN_OR_RETURN(Principal reviewer, Provision(v, admin, kReviewer, passwords));
  ASSIGN_OR_RETURN(Principal adjudicator, Provision(v, admin, kAdjudicator, passwords));
  RETURN_IF_ERROR(Provision(v, admin, kQuality, passwords).status());
  std::vector<Principal> annotators;
  for (const auto& a : kAnnotators) {
    ASSIGN_OR_RETURN(Principal p, Provision(v, admin, a, passwords));
    annotators.push_back(std::move(p));
  }

  RETURN_IF_ERROR(v.CreateRecord(lead, {"project", "chest-ct-nodules",
                                        json::object{{"title", "Pulmonary nodule detection, chest CT"},
                                                     {"modality", "CT"},
                                                     {"intended_use", "Training data for a CADe device"},
                                                     {"agreement_rule", "two readers, IoU >= 0.5"}},
                                        "Project set up for the 2026 data collection", std::nullopt})
                      .status());
  RETURN_IF_ERROR(v.CreateRecord(lead, {"guideline", "g-chest-ct",
                                        json::object{{"version", 3},
                                                     {"title", "Nodule annotation guideline"},
                                                     {"min_diameter_mm", 4},
                                                     {"classes", json::array{"solid", "part-solid", "ground-glass"}}},
                                        "Approved by the clinical steering group", std::nullopt})
                      .status());
  RETURN_IF_ERROR(v.ModifyRecord(lead, {"guideline", "g-chest-ct",
                                        json::object{{"version", 4},
                                                     {"title", "Nodule annotation guideline"},
                                                     {"min_diameter_mm", 3},
                                                     {"classes", json::array{"solid", "part-solid", "ground-glass"}}},
                                        "Revision 4: minimum nodule size lowered to 3 mm after pilot review",
                                        std::nullopt, std::nullopt})
                      .status());
  s.records += 2;
  const char* kClasses[] = {"solid", "part-solid", "ground-glass"};
  for (int c = 1; c <= cases; ++c) {
    std::string case_id = fmt::format("case-{:04}", c);
    std::string study = DicomUid(rng, "1.2.826.0.1.3680043.8.498");
    RETURN_IF_ERROR(v.CreateRecord(lead, {"case", case_id,
                                          json::object{{"project", "chest-ct-nodules"},
                                                       {"study_instance_uid", study},
                                                       {"series_instance_uid", DicomUid(rng, study.c_str())},
                                                       {"source_hash", fmt::format("sha256:{:016x}{:016x}{:016x}{:016x}",
                                                                                   rng(), rng(), rng(), rng())}},
                                          "Imported from PACS export batch 7", std::nullopt})
                        .status());
    ++s.records;
    for (int r = 0; r < 2; ++r) {
      const Person& who = kAnnotators[(c + r) % 3];
      const Principal& annotator = annotators[static_cast<size_t>((c + r) % 3)];
      std::string ann_id = fmt::format("ann-{}-{}", case_id, who.id);
      double x = 40 + static_cast<double>(rng() % 400), y = 40 + static_cast<double>(rng() % 400);
      double d = 3 + static_cast<double>(rng() % 120) / 10.0;
      json::object content{{"case", case_id},
                           {"label", kClasses[rng() % 3]},
                           {"box", json::array{x, y, x + d * 1.4, y + d * 1.4}},
                           {"diameter_mm", d},
                           {"sop_instance_uid", DicomUid(rng, "1.2.826.0.1.3680043.8.498.2")},
                           {"status", "submitted"}};
      RETURN_IF_ERROR(v.CreateRecord(annotator, {"annotation", ann_id, content, std::nullopt, "g-chest-ct@4"}).status());
      ++s.records;
      if (rng() % 3 == 0) {
        content["diameter_mm"] = d + 0.6;
        content["label"] = "part-solid";
        RETURN_IF_ERROR(v.ModifyRecord(annotator, {"annotation", ann_id, content,
                                                   "Re-measured on the 1 mm reconstruction; ground-glass rim visible",
                                                   std::nullopt, "g-chest-ct@4"})
                            .status());
      }
      content["status"] = (rng() % 5 == 0) ? "returned" : "accepted";
      RETURN_IF_ERROR(v.ModifyRecord(reviewer, {"annotation", ann_id, content,
                                                content["status"] == "returned"
                                                    ? "Returned: margin excludes the pleural attachment"
                                                    : "Accepted on review",
                                                std::nullopt, "g-chest-ct@4"})
                          .status());
    }
    if (c % 4 == 0) {
      RETURN_IF_ERROR(v.CreateRecord(adjudicator, {"gold", "gold-" + case_id,
                                                   json::object{{"case", case_id},
                                                                {"label", "part-solid"},
                                                                {"resolves", json::array{"reader disagreement on class"}}},
                                                   "Adjudicated: readers disagreed on the nodule class",
                                                   "g-chest-ct@4"})
                          .status());
      ++s.records;
    }
  }
  if (cases >= 3) {
    RETURN_IF_ERROR(v.DeleteRecord(lead, {"case", "case-0003",
                                          "Duplicate of case-0002 (same study re-exported); withdrawn before release",
                                          std::nullopt})
                        .status());
  }
  s.events = v.Size() - start;
  return s;
}

}  // namespace vellum::app
