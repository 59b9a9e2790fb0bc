#include "crmscan/phone_spellings.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>

#include "crmscan/scrub.hpp"

namespace crmscan {
namespace {

void add_unique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
    list.push_back(std::move(value));
}

}  // namespace

std::optional<PhoneForms> phone_forms(const std::string& e164) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const auto& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(e164, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) return std::nullopt;
  PhoneForms forms;
  forms.e164 = e164;
  forms.country = std::to_string(number.country_code());
  util.Format(number, PhoneNumberUtil::NATIONAL, &forms.national);
  util.Format(number, PhoneNumberUtil::INTERNATIONAL, &forms.international);
  util.GetNationalSignificantNumber(number, &forms.significant);
  for (const char c : forms.national) {
    if (c >= '0' && c <= '9') forms.national_digits.push_back(c);
  }
  const auto prefix = "+" + forms.country + " ";
  if (forms.international.rfind(prefix, 0) == 0)
    forms.grouped = forms.international.substr(prefix.size());
  forms.trunk = forms.national_digits.size() > forms.significant.size() &&
                forms.national_digits.ends_with(forms.significant);
  return forms;
}

std::string regroup_digits(const std::string& text, const std::string& separator) {
  std::string out, group;
  const auto flush = [&] {
    if (group.empty()) return;
    if (!out.empty()) out += separator;
    out += group;
    group.clear();
  };
  for (const char c : text) {
    if (c >= '0' && c <= '9')
      group.push_back(c);
    else
      flush();
  }
  flush();
  return out;
}

std::vector<std::string> phone_variants(const std::string& e164) {
  std::vector<std::string> variants;
  add_unique(variants, e164);
  const auto forms = phone_forms(e164);
  if (!forms) return variants;
  const auto plain = e164.substr(1);
  add_unique(variants, plain);
  add_unique(variants, "00" + plain);
  add_unique(variants, forms->international);
  add_unique(variants, forms->national);
  add_unique(variants, forms->national_digits);
  add_unique(variants, forms->significant);
  if (!forms->grouped.empty()) {
    const auto spaced = regroup_digits(forms->grouped, " ");
    add_unique(variants, "+" + forms->country + " " + spaced);
    add_unique(variants, forms->country + " " + spaced);
    add_unique(variants, "00" + forms->country + " " + spaced);
    add_unique(variants, "+" + forms->country + "-" + regroup_digits(forms->grouped, "-"));
    add_unique(variants, "+" + forms->country + "." + regroup_digits(forms->grouped, "."));
    if (forms->trunk) {
      // "+44 (0)20 7946 0958": the trunk prefix in brackets, as many Europeans write it.
      const auto trunk = forms->national_digits.substr(
          0, forms->national_digits.size() - forms->significant.size());
      add_unique(variants, "+" + forms->country + " (" + trunk + ")" + spaced);
      add_unique(variants, "+" + forms->country + " (" + trunk + ") " + spaced);
    }
  }
  add_unique(variants, regroup_digits(forms->national, " "));
  add_unique(variants, regroup_digits(forms->national, "-"));
  add_unique(variants, regroup_digits(forms->national, "."));
  // A server may echo a search back in an error: each spelling sent is redacted there too.
  for (const auto& variant : variants) register_request_value(variant);
  return variants;
}

}  // namespace crmscan
