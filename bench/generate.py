#!/usr/bin/env python3
"""Generate a synthetic Salesforce Data Export for benchmarking crmscan.

The export has the objects and headers of samples/salesforce-export (an org with the Vonage
Contact Center packages) in Data Export style: every value double-quoted, CRLF between rows,
LF inside multi-line values, UTF-8, Contact.csv with a byte-order mark. Most bytes are in
Task.csv, as in a real contact-center org.

Into the background data it plants N right-to-be-forgotten subjects, each with a known set
of records that a scan must report as delete_record, and decoys that it must not.

Layout written under --out DIR:

    DIR/export/<Object>.csv     the export (the folder to give to `crmscan scan --input`)
    DIR/subjects.csv            the planted requests (request_id,email,phone,name,id)
    DIR/absent-subjects.csv     requests for people who are not in the export (to fill a
                                10,000-request run when fewer subjects are planted)
    DIR/expected.csv            request_id,object,record_id,action: what must be delete_record
    DIR/decoys.csv              request_id,object,record_id,note: what must never be delete_record
    DIR/manifest.json           the arguments, and records and bytes per object

The files beside the export are kept out of it: the file connector reads every CSV in it.

Deterministic: the same arguments give byte-identical output, whatever --jobs is. A planted
subject's records and decoys (rows, ids and values) depend on the seed and the subject alone, not
on the size: exports of any size with the same seed hold the same planted rows for their first N
subjects, only the background around them differs. All names, emails (example.com/.org/.net/.fr)
and numbers (Ofcom drama ranges, US 555-01xx) are fictional.
Python 3 standard library only.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import time
from multiprocessing import Pool

GENERATOR_VERSION = 2

# ---------------------------------------------------------------------------------------------
# Objects and headers (as in samples/salesforce-export).

HEADERS = {
    "Account": ["Id", "Name", "IsPersonAccount", "FirstName", "LastName", "PersonEmail",
                "PersonMobilePhone", "PersonHomePhone", "PersonContactId", "Phone", "Description",
                "IsDeleted", "Type", "BillingCity"],
    "Case": ["Id", "CaseNumber", "ContactId", "AccountId", "SuppliedName", "SuppliedEmail",
             "SuppliedPhone", "Subject", "Description", "IsDeleted", "Status", "Origin"],
    "Contact": ["Id", "AccountId", "FirstName", "LastName", "Email", "Phone", "MobilePhone",
                "HomePhone", "Title", "Description", "IndividualId", "IsPersonAccount",
                "IsDeleted"],
    "EmailMessage": ["Id", "ParentId", "ActivityId", "RelatedToId", "FromAddress", "FromName",
                     "ToAddress", "CcAddress", "Subject", "TextBody", "IsDeleted", "Incoming",
                     "MessageDate"],
    "Event": ["Id", "WhoId", "WhatId", "AccountId", "OwnerId", "Subject", "Description",
              "StartDateTime", "IsArchived", "IsDeleted", "EndDateTime", "Location"],
    "FeedItem": ["Id", "ParentId", "Type", "Title", "Body", "CreatedById", "IsDeleted",
                 "CreatedDate"],
    "Individual": ["Id", "FirstName", "LastName", "ShouldForget", "HasOptedOutTracking",
                   "HasOptedOutProcessing", "IsDeleted"],
    "Lead": ["Id", "FirstName", "LastName", "Company", "Email", "Phone", "MobilePhone",
             "IsConverted", "ConvertedContactId", "ConvertedAccountId", "Description", "IsDeleted",
             "Status", "LeadSource"],
    "Loyalty_Card__c": ["Id", "Name", "Card_Number__c", "Customer_Ref__c", "Notes__c"],
    "NVMConnect__DialList__c": ["Id", "Name"],
    "NVMConnect__PendingDialEntry__c": ["Id", "Name", "NVMConnect__DialList__c",
                                        "NVMConnect__Focus_Object_Id__c",
                                        "NVMConnect__Phone_Number__c",
                                        "NVMConnect__Description__c", "IsDeleted"],
    "NVMConnect__ProcessedDialEntry__c": ["Id", "Name", "NVMConnect__DialList__c",
                                          "NVMConnect__Focus_Object_Id__c",
                                          "NVMConnect__Phone_Number__c",
                                          "NVMConnect__Description__c", "IsDeleted"],
    "NVMContactWorld__InteractionEventNote__c": ["Id", "Name", "NVMContactWorld__Event__c",
                                                 "NVMContactWorld__Detail__c", "IsDeleted"],
    "NVMContactWorld__InteractionEvent__c": ["Id", "Name", "NVMContactWorld__RelatedTo__c",
                                             "NVMContactWorld__Agent__c",
                                             "NVMContactWorld__IndexedCallObjectIdentifier__c",
                                             "NVMContactWorld__Type__c",
                                             "NVMContactWorld__IsPreCallEvent__c", "IsDeleted"],
    "NVMStatsSF__NVM_Call_Summary__c": ["Id", "Name", "NVMStatsSF__TaskID__c",
                                        "NVMStatsSF__Related_Lead__c", "NVMStatsSF__Agent__c",
                                        "NVMStatsSF__Date__c", "NVMStatsSF__CallTime__c",
                                        "NVMStatsSF__Interaction_Type__c", "NVMStatsSF__CLID__c",
                                        "NVMStatsSF__Transcript__c", "NVMStatsSF__Sentiment__c",
                                        "IsDeleted"],
    "Task": ["Id", "WhoId", "WhatId", "AccountId", "OwnerId", "Subject", "Description",
             "TaskSubtype", "CallType", "CallObject", "CallDurationInSeconds", "CallDisposition",
             "Status", "ActivityDate", "IsArchived", "IsDeleted",
             "NVMContactWorld__CW_Call_Start_Time__c", "NVMContactWorld__CW_Call_End_Time__c",
             "NVMContactWorld__Customer_Number__c", "NVMContactWorld__CallTalkTimeInSeconds__c"],
    "User": ["Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone",
             "NVMContactWorld__NVM_Agent_Id__c", "Username", "IsActive"],
    "VCCConnect__PendingDialEntry__c": ["Id", "Name", "VCCConnect__Focus_Object_Id__c",
                                        "VCCConnect__Phone_Number__c", "VCCConnect__Outcome__c",
                                        "IsDeleted"],
    "VCCConnect__ProcessedDialEntry__c": ["Id", "Name", "VCCConnect__Focus_Object_Id__c",
                                          "VCCConnect__Phone_Number__c", "VCCConnect__Outcome__c",
                                          "IsDeleted"],
    "VoiceCall": ["Id", "FromPhoneNumber", "ToPhoneNumber", "CallType", "VendorCallKey",
                  "ActivityId", "RelatedRecordId", "IsDeleted", "CallStartDateTime",
                  "CallDurationInSeconds"],
}
OBJECTS = sorted(HEADERS)

# Key prefixes of the Salesforce ids (standard objects), and plausible ones for the packages'.
PREFIX = {
    "Account": "001", "Case": "500", "Contact": "003", "EmailMessage": "02s", "Event": "00U",
    "FeedItem": "0D5", "Individual": "0PK", "Lead": "00Q", "Loyalty_Card__c": "a0L",
    "NVMConnect__DialList__c": "a0D", "NVMConnect__PendingDialEntry__c": "a0E",
    "NVMConnect__ProcessedDialEntry__c": "a0F", "NVMContactWorld__InteractionEventNote__c": "a0B",
    "NVMContactWorld__InteractionEvent__c": "a0A", "NVMStatsSF__NVM_Call_Summary__c": "a0C",
    "Task": "00T", "User": "005", "VCCConnect__PendingDialEntry__c": "a0G",
    "VCCConnect__ProcessedDialEntry__c": "a0H", "VoiceCall": "0LQ",
}

# ---------------------------------------------------------------------------------------------
# Salesforce ids.

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(id15):
    """The case-safe 18-character form of a 15-character id."""
    out = id15
    for chunk in range(3):
        bits = 0
        for i in range(5):
            c = id15[chunk * 5 + i]
            if "A" <= c <= "Z":
                bits |= 1 << i
        out += SUFFIX[bits]
    return out


def b62(n, width):
    digits = []
    while n:
        n, r = divmod(n, 62)
        digits.append(B62[r])
    return "".join(reversed(digits)).rjust(width, "0")


# Record indices: background records count up from 0 in each object; planted and decoy records
# use a range of their own, so that their ids never collide with the background's.
PLANTED_BASE = 40_000_000
STEP = 13


class Ids:
    def __init__(self, seed):
        rng = random.Random(f"ids-{seed}")
        # Each object's ids start somewhere in its own range, as an org's ids do.
        self.base = {o: rng.randrange(2, 40) * 62 ** 5 + rng.randrange(62 ** 4) for o in OBJECTS}

    def id15(self, obj, index):
        n = self.base[obj] + index * STEP + (index * 7) % STEP
        return PREFIX[obj] + "5g" + b62(n, 10)

    def id(self, obj, index):
        return id18(self.id15(obj, index))


# ---------------------------------------------------------------------------------------------
# People: names, emails, phone numbers.

FIRST = """Amélie Tomás Siobhán Chloé Oliver Priya Daniel Hannah Ethan Laura Jonas Sam Gareth Aoife
Zoë Björn François Søren José Łukasz Nuria Mateo Sofía Lucía Marta Elena Javier Andrés Inés
Noémie Hélène Théo Léa Camille Maëlle Gaël Jérôme Élodie Renée Jürgen Günter Käthe Lena Felix
Maximilian Anja Matthias Niamh Ciarán Seán Pádraig Eoin Róisín Bríd Tadhg Caoimhe Oisín Darragh
Emily Jack Olivia Harry Isla George Amelia Noah Ava Leo Mia Oscar Grace Arthur Freya Henry Ella
Charlie Lily Alfie Evie Thomas Poppy James Ruby William Sophie Joshua Jessica Samuel Chloe
Mohammed Aisha Omar Fatima Yusuf Zainab Ibrahim Maryam Hassan Layla Ahmed Noor Arjun Ananya Rohan
Kavya Vikram Meera Sanjay Divya Rahul Neha Wei Mei Jun Li Hiroshi Yuki Kenji Sakura Min-jun Ji-woo
Seo-yeon Thabo Ayanda Chidi Ngozi Kwame Ama Kofi Abena Olumide Funmilayo Lars Ingrid Erik Astrid
Mikael Sigrid Piotr Agnieszka Katarzyna Tomasz Jan Eva Petr Tereza Marek Zuzana Giulia Marco
Francesca Alessandro Chiara Luca Sara Matteo Valentina Davide Beatriz João Inês Rui Catarina
Michael Jennifer David Sarah Robert Linda John Patricia Carlos Maria Kevin Ashley Brian Megan
Tyler Brittany Jason Nicole Ryan Amanda""".split()

LAST = """Dubois García O'Neill Martin Bennett Shah Okafor Whitfield Brooks Chen Weber Carter
Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White
Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason Mitchell Rose Davis
Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera Gómez
Díaz Reyes Morales Jiménez Álvarez Romero Navarro Muñoz Müller Schmidt Schneider Fischer Meyer
Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz
Zimmermann Braun Krüger Hofmann Hartmann Lange Lefèvre Moreau Laurent Simon Michel Leroy Roux
David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Müller-Lüdenscheidt
Murphy Kelly Sullivan Walsh Byrne Ryan O'Brien O'Connor McCarthy Doyle Gallagher Ó Súilleabháin
Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak
Novák Svoboda Dvořák Černý Procházka Kučera Rossi Russo Ferrari Esposito Bianchi Romano Colombo
Ricci Marino Greco Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Almeida Nascimento
Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsen Hansen Nielsen Jensen Pedersen
Sørensen Kumar Singh Sharma Gupta Reddy Iyer Nair Menon Das Wang Zhang Liu Yang Huang Zhao Wu
Zhou Tanaka Suzuki Takahashi Watanabe Kim Lee Park Choi Nguyen Tran Pham Okonkwo Adeyemi
Mensah Boateng Nkosi Dlamini Mahlangu Abubakar Haddad Nasser Farah Hussein Aziz Yilmaz Kaya
Demir Şahin Çelik Papadopoulos Georgiou Nikolaidis Ivanov Petrov Smirnova Kuznetsova Novikova
Anderson Thomas Moore Harris Clark Young Allen King Scott Baker Adams Nelson Hill Campbell""".split()

FOLD = str.maketrans({
    "á": "a", "à": "a", "â": "a", "ä": "a", "ã": "a", "å": "a", "é": "e", "è": "e", "ê": "e",
    "ë": "e", "í": "i", "ì": "i", "î": "i", "ï": "i", "ó": "o", "ò": "o", "ô": "o", "ö": "o",
    "õ": "o", "ø": "o", "ú": "u", "ù": "u", "û": "u", "ü": "u", "ñ": "n", "ç": "c", "ł": "l",
    "ś": "s", "ź": "z", "ż": "z", "ń": "n", "ć": "c", "ř": "r", "č": "c", "š": "s", "ž": "z",
    "ý": "y", "ě": "e", "ů": "u", "ş": "s", "ğ": "g", "ı": "i", "Á": "a", "É": "e", "Í": "i",
    "Ó": "o", "Ú": "u", "Ł": "l", "Ś": "s", "Ž": "z", "Č": "c", "Ş": "s", "Ç": "c", "Ö": "o",
    "Ü": "u", "Ä": "a", "'": "", " ": "", "-": "", "ß": "ss", "æ": "ae", "œ": "oe",
})


def ascii_name(s):
    return s.lower().translate(FOLD)


DOMAINS = ["example.com", "example.org", "example.net", "example.fr"]

# Phone numbers. UK: Ofcom's ranges for drama (1,000 numbers each); US: 555-0100..0199 in many
# area codes. Each number is (country code, national significant number, grouping).
UK_RANGES = [("2079460", 2), ("7700900", 4), ("1134960", 3), ("1144960", 3), ("1154960", 3),
             ("1164960", 3), ("1174960", 3), ("1184960", 3), ("1214960", 3), ("1314960", 3),
             ("1414960", 3), ("1514960", 3), ("1614960", 3), ("2896496", 2), ("2920180", 2),
             ("1632960", 4), ("3069990", 3)]
# Ranges that libphonenumber finds allocated to nobody (Ofcom's drama ranges 07700 900 and
# 01632 960): a number there written without its country code is only ever a review, so no
# subject is given one.
UNALLOCATED_PREFIXES = {"7700900", "1632960"}
US_AREAS = """201 202 203 205 206 207 208 212 213 214 215 216 217 224 225 228 229 231 234 239 240
248 251 252 253 254 256 260 262 267 269 270 281 301 302 303 304 305 307 308 309 310 312 313 314
315 316 317 318 319 320 321 323 330 334 336 337 339 347 352 360 361 385 386 401 402 404 405 406
407 408 409 410 412 413 414 415 417 419 423 424 425 430 432 434 435 440 443 469 478 479 480 484
501 502 503 504 505 507 508 509 510 512 513 515 516 517 518 520 530 540 541 559 561 562 563 570
571 573 574 575 580 585 586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619 620
623 626 630 631 636 641 646 650 651 660 661 662 678 702 703 704 706 707 708 712 713 714 715 716
717 718 719 720 724 727 731 732 734 740 754 757 760 763 765 770 772 773 774 775 781 785 786 801
802 803 804 805 806 808 810 812 813 814 815 816 817 818 828 830 831 832 843 845 847 850 856 857
858 859 860 862 863 864 865 870 901 903 904 907 908 909 910 912 913 914 915 916 917 918 919 920
925 928 931 936 937 940 941 949 951 952 954 956 970 971 972 973 978 979 980 985 989""".split()


def uk_groups(nsn, grouping):
    """National significant number split as the UK writes it: 20 7946 0958, 7700 900123…"""
    if grouping == 2:
        return [nsn[:2], nsn[2:6], nsn[6:]]
    if grouping == 3:
        return [nsn[:3], nsn[3:6], nsn[6:]]
    return [nsn[:4], nsn[4:]]


def formats(number):
    """The ways a number is written in CRM data (first: the request's own form)."""
    cc, nsn, grouping = number
    if cc == "44":
        g = uk_groups(nsn, grouping)
        sp = " ".join(g)
        return [
            "+44 " + sp,                     # request form
            "0" + sp,                        # 020 7946 0958
            "+44 (0)" + sp,                  # +44 (0)20 7946 0958
            "0044 " + sp,                    # 0044 20 7946 0958
            "0" + nsn,                       # 02079460958
            "+44" + nsn,                     # +442079460958
            "(0" + g[0] + ") " + " ".join(g[1:]),  # (020) 7946 0958
            "0" + "-".join(g),               # 020-7946-0958
        ]
    npa, exch, line = nsn[:3], nsn[3:6], nsn[6:]
    return [
        f"+1 {npa} {exch} {line}",           # request form
        f"({npa}) {exch}-{line}",
        f"+1 {npa}-{exch}-{line}",
        f"{npa}-{exch}-{line}",
        f"+1{nsn}",
        f"1 ({npa}) {exch}-{line}",
        f"{npa}.{exch}.{line}",
        f"+1 ({npa}) {exch}-{line}",
    ]


def e164(number):
    return "+" + number[0] + number[1]


def clid(number):
    """A call-summary CLI: digits with the country code, usually without the '+'."""
    return number[0] + number[1]


def phone_pools(seed):
    """(subject numbers, background numbers, company numbers).

    Subjects get numbers whose last digit is even, everything else ends in an odd digit: a
    decoy one digit off a subject's number (last digit + 1) is then never another subject's.
    """
    company, even, odd = [], [], []
    for prefix, grouping in UK_RANGES:
        for x in range(1000):
            number = ("44", f"{prefix}{x:03d}", grouping)
            if prefix == "2079460" and x < 100:
                company.append(number)       # the org's own lines: 020 7946 0000..0099
            elif x % 2 == 0 and prefix not in UNALLOCATED_PREFIXES:
                even.append(number)
            else:
                odd.append(number)
    for area in US_AREAS:
        for x in range(100, 200):
            number = ("1", f"{area}555{x:04d}", 0)
            (even if x % 2 == 0 else odd).append(number)
    rng = random.Random(f"phones-{seed}")
    rng.shuffle(even)
    rng.shuffle(odd)
    return even, odd, company


def off_by_one(number):
    """The same number with its last digit one higher (an odd digit: never a subject's)."""
    cc, nsn, grouping = number
    return (cc, nsn[:-1] + str(int(nsn[-1]) + 1), grouping)


# ---------------------------------------------------------------------------------------------
# Text.

CITIES = ["London", "Reading", "Slough", "Croydon", "Bristol", "Leeds", "Manchester", "Glasgow",
          "Belfast", "Cardiff", "Southampton", "Oakland", "San Jose", "San Francisco", "Seattle",
          "Chicago", "Boston", "Austin", "Denver", "Portland"]
COMPANY_WORDS = ["Acme", "Brightwater", "Harbour", "Northstar", "Redwood", "Bluebell", "Summit",
                 "Riverside", "Oakfield", "Silverline", "Granite", "Meridian", "Pioneer", "Atlas",
                 "Beacon", "Cobalt", "Evergreen", "Falcon", "Horizon", "Ironbridge", "Juniper",
                 "Keystone", "Lighthouse", "Maple", "Nimbus", "Orchard", "Quarry", "Sterling"]
COMPANY_KINDS = ["Logistics Ltd", "Foods, Ltd", "Freight Partners", "Retail Inc", "Engineering",
                 "Wholesale", "Health Group", "Consulting LLP", "Manufacturing GmbH",
                 "Distribution", "Supplies Co", "Holdings plc", "Software", "Energy"]
TITLES = ["Head of Operations", "Logistics Coordinator", "Procurement Manager", "Office Manager",
          "Finance Director", "Warehouse Supervisor", "IT Manager", "Buyer", "CEO", "Analyst",
          "Account Payable Clerk", "Fleet Manager", ""]

CALL_NOTES = [
    "Caller asked about the delayed shipment to the {city} depot.",
    "Confirmed new delivery window (Tue-Thu).",
    "Callback requested; see case {case}.",
    "Invoice query, case raised.",
    "Asked for a copy of the {year} rate card.",
    "Qualified web lead, demo booked.",
    "Asked to move the demo to next week.",
    "Store {n} delivery escalation.",
    "Price list request.",
    "Chased overdue invoice {inv}.",
    "Customer wants the \"express\" option on all future orders.",
    "Left voicemail, no answer.",
    "Wrong number, caller was looking for another company.",
    "Discussed renewal terms; will send a quote by Friday.",
    "Customer reported a damaged pallet (ref DP-{n}).",
    "Asked us to call back on {phone} after 2pm.",
    "Send the confirmation to {email}.",
    "{first} prefers email to phone calls.",
    "Spoke to {name}; agreed to a 10% credit on invoice {inv}.",
    "Transferred to billing.",
    "Customer unhappy with the last two deliveries, escalated to the account manager.",
    "Payment goes out Friday.",
    "Updated the delivery address to {n} High Street, {city}.",
    "Booked a product demo for {date}.",
    "Loyalty points balance query.",
    "Complaint about the driver at the {city} depot.",
]
TASK_SUBJECTS = ["Send revised delivery schedule", "Quarterly account review", "Send onboarding pack",
                 "Follow up on quote", "Prepare renewal proposal", "Email the Q2 delivery schedule",
                 "Check credit limit", "Update billing address", "Chase signed contract",
                 "Book site visit"]
DISPOSITIONS = ["Resolved", "Case Raised", "Demo Booked", "Escalated", "No Answer", "Abandoned",
                "Promise to Pay", "Quote Sent", "Voicemail", "Callback Scheduled"]
AGENT_LINES = [
    "Agent: Good morning, customer support, {agent} speaking.",
    "Agent: Thanks for calling, how can I help?",
    "Agent: I can see the order on our system.",
    "Agent: Sorry about that. I can offer Tuesday to Thursday.",
    "Agent: Can I take a number to call you back on?",
    "Agent: I'll email you the confirmation now.",
    "Agent: Your delivery is confirmed for {date}.",
    "Agent: Is there anything else I can help with today?",
    "Agent: Let me transfer you to billing.",
]
CUSTOMER_LINES = [
    "Customer: Hi, it's {name} from {company}. Our shipment is late again.",
    "Customer: Hello, this is {first}.",
    "Customer: You can reach me on {phone}.",
    "Customer: My email is {email}.",
    "Customer: Tuesday is fine.",
    "Customer: The invoice number is {inv}.",
    "Customer: No, that's all, thanks.",
    "Customer: We'd like a demo next week.",
    "Customer: I've been waiting for forty minutes.",
]
NOTE_TEXTS = ["Customer confirmed new delivery window Tue-Thu; prefers callbacks after 2pm.",
              "Carrier escalation ref CR-{n}.", "Demo booked for {date}.",
              "Caller verified with postcode.", "Asked for a supervisor.",
              "Repeat caller, third time this week.", "Payment taken over the phone."]
EMAIL_BODIES = [
    "Hi,\n\nCould the delivery come next Tuesday instead? Mornings suit me best.\n\nThanks,\n{first}",
    "Hello {first},\n\nYour order {inv} is now booked for {date}, 09:00-12:00.\n\nKind regards,\nCustomer Support",
    "Dear {name},\n\nPlease find attached your invoice {inv}.\nIf you have any questions, reply to this email or call us.\n\nBest regards,\nAccounts",
    "Hi team,\n\nThe pallet arrived damaged (photos attached). Please call me on {phone}.\n\n{first}",
]
FEED_BODIES = ["Renewal signed for {year} - great work, team!", "Escalated to tier 2 carrier relations.",
               "Spoke to {first} about the Q2 forecast, they want weekly volume updates.",
               "Heads up: {email} is the new escalation contact.", "Welcome pack sent after the demo call."]

AGENTS = [("Priya", "Shah"), ("Daniel", "Okafor"), ("Grace", "Lee"), ("Marcus", "Webb"),
          ("Aisha", "Rahman"), ("Tom", "Fletcher"), ("Nina", "Kowalska"), ("Raj", "Mehta"),
          ("Ellie", "Hughes"), ("Sven", "Berg"), ("Carmen", "Ruiz"), ("Jamal", "Price"),
          ("Holly", "Bishop"), ("Owen", "Pryce"), ("Fiona", "Grant"), ("Luis", "Ortega"),
          ("Beth", "Harper"), ("Kai", "Ngata"), ("Rosa", "Lindqvist"), ("Dev", "Kapoor"),
          ("Tess", "Morgan"), ("Ivan", "Horvat"), ("Amara", "Obi"), ("Ben", "Cartwright")]
N_DIAL_LISTS = 20

# ---------------------------------------------------------------------------------------------
# Rows.


def esc(s):
    return s.replace('"', '""') if '"' in s else s


def row(values):
    return '"' + '","'.join(values) + '"\r\n'


def mix(x):
    x &= 0xFFFFFFFFFFFF
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    x = ((x >> 16) ^ x) * 0x45D9F3B & 0xFFFFFFFF
    return (x >> 16) ^ x


# Background records per block (a block is a unit of the org's activity; an export is as many
# blocks as its size needs).
PER_BLOCK = {"Account": 11, "Contact": 28, "Lead": 12, "Case": 8, "Task": 200, "Event": 12,
             "EmailMessage": 14, "FeedItem": 6, "VoiceCall": 8, "InteractionCalls": 10,
             "Summary": 25, "Loyalty": 3, "Pending": 3, "Processed": 3, "VccPending": 2,
             "VccProcessed": 2}
PERSON_ACCOUNTS_PER_BLOCK = 3          # the last 3 Accounts of a block, with the first 3 Contacts


class World:
    """What every worker derives from the arguments alone."""

    def __init__(self, seed, planted, absent):
        self.seed = seed
        self.ids = Ids(seed)
        self.salt = mix(seed * 7919 + 17)
        even, odd, company = phone_pools(seed)
        self.bg_numbers = odd
        self.company = company
        self.bg_formats = [formats(n) for n in odd]
        self.agents = [(self.ids.id("User", i), a) for i, a in enumerate(AGENTS)]
        self.dial_lists = [self.ids.id("NVMConnect__DialList__c", i) for i in range(N_DIAL_LISTS)]
        self.planted = planted
        self.subjects = make_subjects(seed, planted, absent, even)

    # -- background people, a pure function of their index --
    def person(self, kind, p):
        h = mix(p * 4 + kind + self.salt)
        h2 = mix(h + 0x9E37)
        first = FIRST[h % len(FIRST)]
        last = LAST[(h >> 8) % len(LAST)]
        a, b = ascii_name(first), ascii_name(last)
        style = (h2 >> 4) % 5
        local = (f"{a}.{b}", f"{a[0]}.{b}", f"{a}.{b}{h2 % 90 + 10}", f"{a}_{b}", f"{a}{b[0]}")[style]
        email = local + "@" + DOMAINS[(h2 >> 8) % 4]
        ni = (h2 >> 12) % len(self.bg_numbers)
        mobile = (h >> 20) % 3 == 0
        mi = (ni + 7 + (h >> 3) % 500) % len(self.bg_numbers)
        return first, last, email, ni, (mi if mobile else None), h2

    def company_name(self, a):
        h = mix(a * 3 + 1 + self.salt)
        return f"{COMPANY_WORDS[h % len(COMPANY_WORDS)]} {COMPANY_WORDS[(h >> 7) % len(COMPANY_WORDS)]} {COMPANY_KINDS[(h >> 13) % len(COMPANY_KINDS)]}"


def make_subjects(seed, planted, absent, even):
    """The requests: `planted` people whose records are in the export, `absent` who are not."""
    rng = random.Random(f"subjects-{seed}")
    subjects = []
    used_tokens = set()
    numbers = iter(even)
    for i in range(planted + absent):
        first = rng.choice(FIRST)
        last = rng.choice(LAST)
        if rng.random() < 0.3:
            last = last + "-" + rng.choice(LAST)    # fewer namesakes among the requests
        while True:
            token = rng.randrange(1000, 100000)
            if token not in used_tokens:
                used_tokens.add(token)
                break
        # A ".<digits>" before the '@' is never written in background emails: no collisions.
        email = f"{ascii_name(first)}.{ascii_name(last)}.{token}@{rng.choice(DOMAINS)}"
        phone = next(numbers)
        second = next(numbers) if i < planted and rng.random() < 0.25 else None
        r = rng.random()
        kind = "contact" if r < 0.7 else ("lead" if r < 0.9 else "person_account")
        subjects.append({"index": i, "request_id": f"REQ-{i + 1:06d}", "first": first,
                         "last": last, "email": email, "phone": phone, "second": second,
                         "kind": kind, "planted": i < planted})
    return subjects


def fmt_phone(world, ni, rng):
    return world.bg_formats[ni][1 + int(rng.random() * 7)]


def iso_date(rng, lo_year=2021, hi_year=2025):
    y = lo_year + int(rng.random() * (hi_year - lo_year))
    return f"{y}-{1 + int(rng.random() * 12):02d}-{1 + int(rng.random() * 28):02d}"


def iso_time(date, rng, offset=0):
    s = int(rng.random() * 36000) + 8 * 3600 + offset
    return f"{date}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000Z"


def event_times(date, rng):
    """StartDateTime, IsArchived, IsDeleted, EndDateTime of a one-hour meeting."""
    start, end = call_times(date, rng, 3600)
    return start, "false", "false", end


def call_times(date, rng, duration):
    """Start and end of a call on `date`, as the contact-center package writes them."""
    s = int(rng.random() * 36000) + 8 * 3600
    e = s + duration
    return (f"{date}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000Z",
            f"{date}T{e // 3600:02d}:{e // 60 % 60:02d}:{e % 60:02d}.000Z")


def uuid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:32]}"


def fill(template, rng, name="", first="", phone="", email="", city=None):
    if "{" not in template:
        return template
    return template.format(
        city=city or CITIES[int(rng.random() * len(CITIES))], case=f"{int(rng.random() * 90000) + 1000:08d}",
        year=2020 + int(rng.random() * 6), n=int(rng.random() * 9000) + 10,
        inv=f"INV-{int(rng.random() * 900000) + 100000}", phone=phone, email=email, first=first,
        name=name, date=iso_date(rng, 2024, 2026), agent=AGENTS[int(rng.random() * len(AGENTS))][0],
        company=COMPANY_WORDS[int(rng.random() * len(COMPANY_WORDS))] + " Ltd")


class Block:
    """The rows of one block, object by object."""

    def __init__(self):
        self.rows = {o: [] for o in OBJECTS}
        self.expected = []   # (request_id, object, record_id)
        self.decoys = []     # (request_id, object, record_id, note)

    def add(self, obj, values):
        self.rows[obj].append(row(values))


def gen_block(world, b, subject_indices, rng):
    blk = Block()
    ids = world.ids
    P = PER_BLOCK
    n_acc, n_con, n_lead = P["Account"], P["Contact"], P["Lead"]
    known_contacts = (b + 1) * n_con
    known_leads = (b + 1) * n_lead
    biz_per_block = n_acc - PERSON_ACCOUNTS_PER_BLOCK

    def biz_account(h):
        a = h % ((b + 1) * biz_per_block)
        return (a // biz_per_block) * n_acc + a % biz_per_block

    def contact_of_person_account(a):
        return (a // n_acc) * n_con + (a % n_acc - biz_per_block)

    def contact_info(p):
        first, last, email, ni, mi, h = world.person(0, p)
        j = p % n_con
        if j < PERSON_ACCOUNTS_PER_BLOCK:
            account = (p // n_con) * n_acc + biz_per_block + j
        else:
            account = biz_account(h)
        return first, last, email, ni, mi, h, account, j < PERSON_ACCOUNTS_PER_BLOCK

    def agent():
        return world.agents[int(rng.random() * len(world.agents))]

    # Accounts.
    for a in range(b * n_acc, (b + 1) * n_acc):
        aid = ids.id("Account", a)
        if a % n_acc < biz_per_block:
            name = world.company_name(a)
            desc = ""
            if rng.random() < 0.4:
                desc = fill(rng.choice(["Key account since {year}, depots in {city}.",
                                        "Wholesale customer; net-30 terms.",
                                        "Created from web lead conversion.",
                                        "Day-to-day contact is {name}; call {phone}."]), rng,
                            name="the office manager", phone=world.bg_formats[int(rng.random() * len(world.bg_numbers))][1])
            blk.add("Account", [aid, esc(name), "false", "", "", "", "", "",
                                "", world.bg_formats[int(rng.random() * len(world.bg_numbers))][1],
                                esc(desc), "false", rng.choice(["Customer", "Prospect", "Partner"]),
                                rng.choice(CITIES)])
        else:
            c = contact_of_person_account(a)
            first, last, email, ni, mi, h, _, _ = contact_info(c)
            mobile = world.bg_formats[ni][1 + (h >> 5) % 7]
            home = world.bg_formats[mi][1] if mi is not None else ""
            blk.add("Account", [aid, esc(f"{first} {last}"), "true", first, esc(last), email, mobile, home,
                                ids.id("Contact", c), "", "Prefers SMS reminders." if h % 7 == 0 else "",
                                "false", "Consumer", rng.choice(CITIES)])
    # Contacts (and their Individuals).
    for c in range(b * n_con, (b + 1) * n_con):
        first, last, email, ni, mi, h, account, person = contact_info(c)
        indiv = ""
        if h % 10 < 3:
            indiv = ids.id("Individual", c)
            blk.add("Individual", [indiv, first, esc(last), "false", "false", "false", "false"])
        if person:
            blk.add("Contact", [ids.id("Contact", c), ids.id("Account", account), first, esc(last), "",
                                "", "", "", "", "", indiv, "true", "false"])
            continue
        shown = email if h % 4 else email.title()
        phone = world.bg_formats[ni][1 + (h >> 6) % 7]
        mobile = world.bg_formats[mi][1 + (h >> 9) % 7] if mi is not None else ""
        desc = ""
        if rng.random() < 0.2:
            desc = fill(rng.choice(CALL_NOTES), rng, name=f"{first} {last}", first=first,
                        phone=world.bg_formats[ni][3], email=email)
        blk.add("Contact", [ids.id("Contact", c), ids.id("Account", account), first, esc(last), shown,
                            phone, mobile, "", rng.choice(TITLES), esc(desc), indiv, "false",
                            "true" if rng.random() < 0.01 else "false"])
    # Leads.
    for l in range(b * n_lead, (b + 1) * n_lead):
        first, last, email, ni, mi, h = world.person(1, l)
        converted = h % 10 == 0
        conv_c = ids.id("Contact", (l * 7) % known_contacts) if converted else ""
        conv_a = ids.id("Account", biz_account(h >> 3)) if converted else ""
        blk.add("Lead", [ids.id("Lead", l), first, esc(last), esc(world.company_name(h)), email,
                         world.bg_formats[ni][1 + (h >> 6) % 7] if h % 3 else "",
                         world.bg_formats[mi][1] if mi is not None else "",
                         "true" if converted else "false", conv_c, conv_a,
                         esc(fill(rng.choice(["Trade show contact, interested in EU routes.",
                                              "Web lead, asked for pricing.", "",
                                              "Referred by {name}.", "Call back on {phone}."]),
                                  rng, name=f"{first} {last}", phone=world.bg_formats[ni][2])),
                         "true" if rng.random() < 0.02 else "false",
                         rng.choice(["Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                                     "Closed - Not Converted"]),
                         rng.choice(["Web", "Trade Show", "Phone Inquiry", "Partner Referral"])])

    def who(h):
        """A background person for an activity: (WhoId, WhatId, AccountId, name, email, number)."""
        r = h % 100
        if r < 70:
            p = (h >> 7) % known_contacts
            first, last, email, ni, mi, hh, account, person = contact_info(p)
            aid = ids.id("Account", account)
            return ids.id("Contact", p), aid, aid, first, last, email, ni, mi
        p = (h >> 7) % known_leads
        first, last, email, ni, mi, hh = world.person(1, p)
        return ids.id("Lead", p), "", "", first, last, email, ni, mi

    # Tasks: call activity logged by the contact-center integration, and ordinary to-dos.
    task_ids = []
    task_base = b * P["Task"]
    for t in range(task_base, task_base + P["Task"]):
        tid = ids.id("Task", t)
        h = int(rng.random() * 0xFFFFFFFF)
        who_id, what_id, acc_id, first, last, email, ni, mi = who(h)
        if h % 20 == 0:
            who_id = ""                      # a call logged against the Account only
        ag = agent()
        date = iso_date(rng)
        archived = "true" if date < "2023" and rng.random() < 0.5 else "false"
        deleted = "true" if rng.random() < 0.02 else "false"
        notes = []
        for _ in range(int(rng.random() * 3.2)):
            notes.append(fill(CALL_NOTES[int(rng.random() * len(CALL_NOTES))], rng,
                              name=f"{first} {last}", first=first,
                              phone=world.bg_formats[mi if mi is not None else ni][1 + int(rng.random() * 7)],
                              email=email))
        desc = esc(("\n" if rng.random() < 0.3 else " ").join(notes))
        if rng.random() < 0.72:
            inbound = rng.random() < 0.6
            number = fmt_phone(world, ni, rng)
            subj = (rng.choice(["Inbound call from ", "Call from ", "Missed call from "]) if inbound
                    else rng.choice(["Outbound call to ", "Call to "])) + number
            dur = int(rng.random() * 900)
            start, end = call_times(date, rng, dur)
            task_ids.append((tid, who_id, t))
            blk.add("Task", [tid, who_id, what_id, acc_id, ag[0], subj, desc, "Call",
                             "Inbound" if inbound else "Outbound", uuid(rng), str(dur),
                             DISPOSITIONS[int(rng.random() * len(DISPOSITIONS))], "Completed", date,
                             archived, deleted, start, end,
                             "+" + world.bg_numbers[ni][0] + world.bg_numbers[ni][1],
                             str(max(0, dur - 14))])
        else:
            blk.add("Task", [tid, who_id, what_id, acc_id, ag[0],
                             TASK_SUBJECTS[int(rng.random() * len(TASK_SUBJECTS))], desc, "Task", "",
                             "", "", "", rng.choice(["Not Started", "In Progress", "Completed"]), date,
                             archived, deleted, "", "", "", ""])
    # ARS call summaries of some calls, with Conversation Analyzer transcripts.
    for k in range(P["Summary"]):
        tid, who_id, t = task_ids[int(rng.random() * len(task_ids))]
        h = int(rng.random() * 0xFFFFFFFF)
        _, _, _, first, last, email, ni, mi = who(h)
        lines = []
        for _ in range(2 + int(rng.random() * 8)):
            tmpl = (AGENT_LINES if len(lines) % 2 == 0 else CUSTOMER_LINES)
            lines.append(fill(tmpl[int(rng.random() * len(tmpl))], rng, name=f"{first} {last}",
                              first=first, phone=world.bg_formats[ni][int(rng.random() * 8)],
                              email=email))
        date = iso_date(rng)
        blk.add("NVMStatsSF__NVM_Call_Summary__c", [
            ids.id("NVMStatsSF__NVM_Call_Summary__c", b * P["Summary"] + k), f"CS-{b * P['Summary'] + k + 100000:07d}",
            tid[:15], "", world.agents[int(rng.random() * len(world.agents))][0], date,
            iso_time(date, rng), rng.choice(["Inbound", "Outbound"]), clid(world.bg_numbers[ni]),
            esc("\n".join(lines)), rng.choice(["Positive", "Neutral", "Negative"]), "false"])
    # Interaction events (pre- and post-call) and their notes.
    ie_base = b * P["InteractionCalls"] * 2
    for k in range(P["InteractionCalls"]):
        h = int(rng.random() * 0xFFFFFFFF)
        who_id, what_id, _, first, last, email, ni, mi = who(h)
        related = who_id or what_id
        call = uuid(rng)
        ag = agent()
        typ = rng.choice(["Inbound", "Outbound"])
        for pre in (0, 1):
            idx = ie_base + 2 * k + pre
            ie = ids.id("NVMContactWorld__InteractionEvent__c", idx)
            blk.add("NVMContactWorld__InteractionEvent__c", [
                ie, f"IE-{idx + 10000:07d}", related, ag[0], call, typ, "true" if pre == 0 else "false",
                "false"])
            if pre == 1 and rng.random() < 0.8:
                blk.add("NVMContactWorld__InteractionEventNote__c", [
                    ids.id("NVMContactWorld__InteractionEventNote__c", idx), f"IEN-{idx + 1000:07d}", ie,
                    esc(fill(NOTE_TEXTS[int(rng.random() * len(NOTE_TEXTS))], rng)), "false"])
    # Events.
    for k in range(P["Event"]):
        h = int(rng.random() * 0xFFFFFFFF)
        who_id, what_id, acc_id, first, last, email, ni, mi = who(h)
        date = iso_date(rng)
        blk.add("Event", [ids.id("Event", b * P["Event"] + k), who_id, what_id, acc_id, agent()[0],
                          esc(f"Site visit with {first} - {rng.choice(CITIES)} depot walkthrough"
                              if rng.random() < 0.5 else rng.choice(["Quarterly review", "Demo", "Onboarding call"])),
                          "Review damaged-pallet process." if rng.random() < 0.5 else "",
                          *event_times(date, rng), rng.choice(CITIES)])
    # Cases and their emails.
    case_ids = []
    for k in range(P["Case"]):
        idx = b * P["Case"] + k
        h = int(rng.random() * 0xFFFFFFFF)
        who_id, what_id, acc_id, first, last, email, ni, mi = who(h)
        cid = ids.id("Case", idx)
        web = who_id.startswith("00Q") or rng.random() < 0.3
        case_ids.append((cid, first, last, email))
        blk.add("Case", [cid, f"{idx + 1000:08d}", "" if web else who_id, "" if web else acc_id,
                         f"{first} {esc(last)}" if web else "", email if web else "",
                         world.bg_formats[ni][1] if web else "",
                         rng.choice(["Missed collection", "Damaged goods", "Invoice dispute",
                                     "Reschedule delivery", "Password reset"]),
                         esc(fill(rng.choice(CALL_NOTES), rng, name=f"{first} {last}", first=first,
                                  phone=world.bg_formats[ni][2], email=email)),
                         "false", rng.choice(["New", "Working", "Closed"]),
                         rng.choice(["Web", "Phone", "Email"])])
    for k in range(P["EmailMessage"]):
        cid, first, last, email = case_ids[int(rng.random() * len(case_ids))]
        incoming = rng.random() < 0.5
        body = fill(EMAIL_BODIES[int(rng.random() * len(EMAIL_BODIES))], rng, name=f"{first} {last}",
                    first=first, phone=world.bg_formats[int(rng.random() * len(world.bg_numbers))][1],
                    email=email)
        date = iso_date(rng)
        blk.add("EmailMessage", [ids.id("EmailMessage", b * P["EmailMessage"] + k), cid, "", cid,
                                 email if incoming else "support@example.org",
                                 esc(f"{first} {last}") if incoming else "Customer Support",
                                 "support@example.org" if incoming else email, "",
                                 rng.choice(["Delivery question", "RE: Your invoice", "Order update"]),
                                 esc(body), "false", "true" if incoming else "false", iso_time(date, rng)])
    for k in range(P["FeedItem"]):
        h = int(rng.random() * 0xFFFFFFFF)
        who_id, what_id, acc_id, first, last, email, ni, mi = who(h)
        date = iso_date(rng)
        blk.add("FeedItem", [ids.id("FeedItem", b * P["FeedItem"] + k), what_id or who_id, "TextPost", "",
                             esc(fill(rng.choice(FEED_BODIES), rng, first=first, email=email)),
                             agent()[0], "false", iso_time(date, rng)])
    for k in range(P["VoiceCall"]):
        tid, who_id, t = task_ids[int(rng.random() * len(task_ids))]
        h = int(rng.random() * 0xFFFFFFFF)
        _, _, _, first, last, email, ni, mi = who(h)
        date = iso_date(rng)
        line = e164(world.company[int(rng.random() * len(world.company))])
        inbound = rng.random() < 0.6
        cust = e164(world.bg_numbers[ni])
        blk.add("VoiceCall", [ids.id("VoiceCall", b * P["VoiceCall"] + k), cust if inbound else line,
                              line if inbound else cust, "Inbound" if inbound else "Outbound", uuid(rng),
                              tid, who_id, "false", iso_time(date, rng), str(int(rng.random() * 600))])
    # Dial entries (Connect, in both namespaces) and loyalty cards.
    for obj, key, namefmt, fields in (
            ("NVMConnect__PendingDialEntry__c", "Pending", "PDE-{:07d}", "nvm"),
            ("NVMConnect__ProcessedDialEntry__c", "Processed", "XDE-{:07d}", "nvm"),
            ("VCCConnect__PendingDialEntry__c", "VccPending", "VPD-{:07d}", "vcc"),
            ("VCCConnect__ProcessedDialEntry__c", "VccProcessed", "VPX-{:07d}", "vcc")):
        for k in range(P[key]):
            idx = b * P[key] + k
            h = int(rng.random() * 0xFFFFFFFF)
            who_id, what_id, acc_id, first, last, email, ni, mi = who(h)
            focus = (who_id or what_id)[:15]
            number = world.bg_formats[ni][int(rng.random() * 8)]
            if fields == "nvm":
                blk.add(obj, [ids.id(obj, idx), namefmt.format(idx), world.dial_lists[idx % N_DIAL_LISTS],
                              focus, number, rng.choice(["Web lead, first attempt", "Trade show lead",
                                                         "Renewal call", ""]), "false"])
            else:
                blk.add(obj, [ids.id(obj, idx), namefmt.format(idx), focus, clid(world.bg_numbers[ni]),
                              rng.choice(["", "Voicemail", "Connected", "No Answer"]), "false"])
    for k in range(P["Loyalty"]):
        idx = b * P["Loyalty"] + k
        p = int(rng.random() * known_contacts)
        blk.add("Loyalty_Card__c", [ids.id("Loyalty_Card__c", idx), f"LC-{idx:06d}",
                                    f"6345 1200 {idx % 10000:04d} {int(rng.random() * 10000):04d}",
                                    ids.id("Contact", p)[: 15 if rng.random() < 0.5 else 18],
                                    rng.choice(["Silver tier.", "Gold tier, paper statements.", "Bronze tier."])])

    for i in subject_indices:
        plant(world, blk, world.subjects[i])
    return blk


# A planted subject's business Account is one of the first blocks' (every export has at least
# these blocks), so that it is the same Account whatever the export's size.
SUBJECT_ACCOUNT_BLOCKS = 8


def plant(world, blk, s):
    """One subject's records (expected), and decoys that imitate them.

    A pure function of the seed and the subject: the records, their ids and values, and the
    decoys are the same whichever block they land in, so the same in an export of any size.
    """
    ids = world.ids
    rng = random.Random(f"plant-{world.seed}-{s['index']}")
    base = PLANTED_BASE + s["index"] * 64
    slot = [0]

    def new_id(obj):
        slot[0] += 1
        return ids.id(obj, base + slot[0])

    req = s["request_id"]
    first, last, email = s["first"], s["last"], s["email"]
    name = f"{first} {last}"
    number, second = s["phone"], s["second"]
    fm = formats(number)
    fm2 = formats(second) if second else None
    agent, (agent_first, _) = world.agents[s["index"] % len(world.agents)]

    def expect(obj, rid):
        blk.expected.append((req, obj, rid))

    def decoy(obj, rid, note):
        blk.decoys.append((req, obj, rid, note))

    def shown_email():
        r = rng.random()
        if r < 0.3:
            return email
        if r < 0.6:
            loc, dom = email.split("@")
            return ".".join(p.capitalize() for p in loc.split(".")) + "@" + dom.title()
        if r < 0.8:
            return " " + email.upper() + " "
        return email.title()

    biz_per_block = PER_BLOCK["Account"] - PERSON_ACCOUNTS_PER_BLOCK
    a = mix(s["index"] + 99) % (SUBJECT_ACCOUNT_BLOCKS * biz_per_block)
    account = ids.id("Account", (a // biz_per_block) * PER_BLOCK["Account"] + a % biz_per_block)
    person_ids = []
    kind = s["kind"]
    what = ""
    if kind == "contact":
        cid = new_id("Contact")
        indiv = ""
        if rng.random() < 0.5:
            indiv = new_id("Individual")
            blk.add("Individual", [indiv, first, esc(last), "true", "true", "false", "false"])
            expect("Individual", indiv)
        blk.add("Contact", [cid, account, first, esc(last), shown_email(), fm[1 + int(rng.random() * 7)],
                            fm2[1] if fm2 else "", "", rng.choice(TITLES), "", indiv, "false", "false"])
        expect("Contact", cid)
        who = cid
        person_ids.append(cid)
        what = account
    elif kind == "lead":
        lid = new_id("Lead")
        converted = rng.random() < 0.3
        conv = new_id("Contact") if converted else ""
        blk.add("Lead", [lid, first, esc(last), esc(world.company_name(s["index"])), shown_email(),
                         fm[1 + int(rng.random() * 7)], fm2[1] if fm2 else "",
                         "true" if converted else "false", conv, account if converted else "",
                         "Web lead.", "false", "Closed - Converted" if converted else "Working - Contacted",
                         "Web"])
        expect("Lead", lid)
        if converted:
            # The Contact created by the conversion holds only a work email: reached through
            # Lead.ConvertedContactId alone.
            work = f"{ascii_name(first)[0]}.{ascii_name(last)}.w{s['index']}@example.org"
            blk.add("Contact", [conv, account, first, esc(last), work, "", "", "", "", "", "", "false", "false"])
            expect("Contact", conv)
        who = lid
        person_ids.append(lid)
        if rng.random() < 0.6:
            pde = new_id("NVMConnect__PendingDialEntry__c")
            blk.add("NVMConnect__PendingDialEntry__c", [
                pde, f"PDE-9{s['index']:06d}", world.dial_lists[s["index"] % N_DIAL_LISTS], lid[:15],
                fm[3], "Web lead, first attempt", "false"])
            expect("NVMConnect__PendingDialEntry__c", pde)
    else:
        aid, pcid = new_id("Account"), new_id("Contact")
        blk.add("Account", [aid, esc(name), "true", first, esc(last), shown_email(),
                            (formats(number)[1 + int(rng.random() * 7)]), fm2[1] if fm2 else "",
                            pcid, "", "", "false", "Consumer", rng.choice(CITIES)])
        blk.add("Contact", [pcid, aid, first, esc(last), "", "", "", "", "", "", "", "true", "false"])
        expect("Account", aid)
        expect("Contact", pcid)
        who = pcid
        what = aid
        person_ids.append(aid)

    # Call Tasks through WhoId (a Person Account's may have only WhatId), one archived, some
    # deleted, in various number formats.
    calls = []
    n_calls = 2 + int(rng.random() * 3)
    for k in range(n_calls):
        tid = new_id("Task")
        date = iso_date(rng, 2022 if k == 0 else 2023, 2026)
        archived = "true" if k == 0 and rng.random() < 0.5 else "false"
        deleted = "true" if k == n_calls - 1 and rng.random() < 0.2 else "false"
        use = fm2 if (fm2 and k == 1) else fm
        num = (second if (fm2 and k == 1) else number)
        inbound = rng.random() < 0.5
        subj = ("Inbound call from " if inbound else "Outbound call to ") + use[1 + int(rng.random() * 7)]
        t_who = "" if (kind == "person_account" and k == 0) else who
        dur = 30 + int(rng.random() * 600)
        start, end = call_times(date, rng, dur)
        blk.add("Task", [tid, t_who, what, what if kind != "lead" else "", agent, subj,
                         esc(fill(rng.choice(CALL_NOTES), rng, name=name, first=first, phone=fm[2], email=email)),
                         "Call", "Inbound" if inbound else "Outbound", uuid(rng), str(dur), "Resolved",
                         "Completed", date, archived, deleted, start, end,
                         e164(num), str(dur - 10)])
        expect("Task", tid)
        calls.append(tid)
    # A non-call Task on the person.
    if rng.random() < 0.5:
        tid = new_id("Task")
        blk.add("Task", [tid, who, what, what if kind != "lead" else "", agent,
                         TASK_SUBJECTS[int(rng.random() * len(TASK_SUBJECTS))], "", "Task", "", "", "", "",
                         "Not Started", iso_date(rng, 2024, 2026), "false", "false", "", "", "", ""])
        expect("Task", tid)
    # The call that only the number in its Subject links to the subject.
    tid = new_id("Task")
    date = iso_date(rng, 2023, 2026)
    blk.add("Task", [tid, "", "", "", agent, "Inbound call from " + fm[1 + int(rng.random() * 7)], "",
                     "Call", "Inbound", uuid(rng), "58", "Abandoned", "Completed", date, "false", "false",
                     *call_times(date, rng, 58), "", "0"])
    expect("Task", tid)
    # The ARS call summary of the first WhoId call, by its 15-character id.
    cs = new_id("NVMStatsSF__NVM_Call_Summary__c")
    date = iso_date(rng, 2023, 2026)
    transcript = "\n".join([
        f"Agent: Good morning, customer support, {agent_first} speaking.",
        f"Customer: Hi, it's {name}. Our shipment is late again.",
        f"Agent: Sorry about that, {first}. I can offer Tuesday to Thursday.",
        "Customer: Tuesday is fine. You can reach me on this number."])
    blk.add("NVMStatsSF__NVM_Call_Summary__c", [
        cs, f"CS-9{s['index']:06d}", calls[-1][:15], "", agent, date, iso_time(date, rng), "Inbound",
        "" if rng.random() < 0.5 else clid(number), esc(transcript), "Neutral", "false"])
    expect("NVMStatsSF__NVM_Call_Summary__c", cs)
    # An interaction event on the person record, and a note on it.
    ie = new_id("NVMContactWorld__InteractionEvent__c")
    blk.add("NVMContactWorld__InteractionEvent__c", [
        ie, f"IE-9{s['index']:06d}", person_ids[0], agent, uuid(rng), "Inbound", "false", "false"])
    expect("NVMContactWorld__InteractionEvent__c", ie)
    note = new_id("NVMContactWorld__InteractionEventNote__c")
    blk.add("NVMContactWorld__InteractionEventNote__c", [
        note, f"IEN-9{s['index']:06d}", ie, "Customer confirmed new delivery window; prefers callbacks after 2pm.",
        "false"])
    expect("NVMContactWorld__InteractionEventNote__c", note)
    # Sometimes: a meeting, an email, a voice call.
    if rng.random() < 0.4:
        ev = new_id("Event")
        date = iso_date(rng, 2023, 2026)
        blk.add("Event", [ev, who if kind != "person_account" else "", what, what if kind != "lead" else "",
                          agent, esc(f"Site visit with {first}"), "", *event_times(date, rng),
                          rng.choice(CITIES)])
        expect("Event", ev)
    if rng.random() < 0.4:
        em = new_id("EmailMessage")
        date = iso_date(rng, 2023, 2026)
        blk.add("EmailMessage", [em, "", "", "", "support@example.org", "Customer Support", shown_email().strip(),
                                 "", "Your delivery", esc(f"Hello {first},\n\nYour delivery is booked.\n\nKind regards"),
                                 "false", "false", iso_time(date, rng)])
        expect("EmailMessage", em)
    if rng.random() < 0.3:
        vc = new_id("VoiceCall")
        date = iso_date(rng, 2023, 2026)
        blk.add("VoiceCall", [vc, e164(number), e164(world.company[0]), "Inbound", uuid(rng), calls[0],
                              who if kind != "person_account" else what, "false", iso_time(date, rng), "95"])
        expect("VoiceCall", vc)

    if kind == "contact" and rng.random() < 0.2:
        # A post on the business Account naming the subject's email: the Account stays, the
        # post's Body is erased (erase_field: not in expected.csv, and never delete_record).
        date = iso_date(rng, 2023, 2026)
        blk.add("FeedItem", [new_id("FeedItem"), account, "TextPost", "",
                             esc(f"Heads up: {email.upper()} is the new escalation contact for deliveries."),
                             agent, "false", iso_time(date, rng)])

    # Decoys.
    if rng.random() < 0.5:
        # A stranger whose number is one digit off, and their call.
        off = off_by_one(number)
        fo = formats(off)
        dc = new_id("Contact")
        blk.add("Contact", [dc, account, rng.choice(FIRST), esc(rng.choice(LAST)), "",
                            fo[1 + int(rng.random() * 7)], "", "", "", "", "", "false", "false"])
        decoy("Contact", dc, "number one digit off")
        dt = new_id("Task")
        date = iso_date(rng, 2023, 2026)
        blk.add("Task", [dt, dc, account, account, agent, "Outbound call to " + fo[1 + int(rng.random() * 7)],
                         "", "Call", "Outbound", uuid(rng), "142", "Promise to Pay", "Completed", date,
                         "false", "false", *call_times(date, rng, 142), e164(off), "131"])
        decoy("Task", dt, "call to a number one digit off")
        dv = new_id("VoiceCall")
        blk.add("VoiceCall", [dv, e164(off), e164(world.company[0]), "Inbound", uuid(rng), "", "", "false",
                              iso_time(date, rng), "47"])
        decoy("VoiceCall", dv, "call from a number one digit off")
    if rng.random() < 0.5:
        # A long reference number that contains the subject's digits.
        dr = new_id("Task")
        date = iso_date(rng, 2023, 2026)
        ref = ("440" + number[1] if number[0] == "44" else "1" + number[1]) + str(int(rng.random() * 900) + 100)
        is_call = rng.random() < 0.5
        blk.add("Task", [dr, "", "", "", agent,
                         (f"Inbound call re order {ref}" if is_call else f"Order ref {ref} shipped"),
                         "Automated notification from the WMS integration.", "Call" if is_call else "Task",
                         "Inbound" if is_call else "", uuid(rng) if is_call else "", "", "", "Completed",
                         date, "false", "false", "", "", "", ""])
        decoy("Task", dr, "the subject's digits inside a longer reference number")
    if rng.random() < 0.2:
        # A namesake: same name, other email and number.
        dn = new_id("Contact")
        other = world.bg_formats[mix(s["index"] + 5) % len(world.bg_numbers)][1]
        blk.add("Contact", [dn, account, first, esc(last), f"{ascii_name(first)[0]}{ascii_name(last)}@example.net",
                            other, "", "", "", "", "", "false", "false"])
        decoy("Contact", dn, "namesake (a name alone: review at most)")


# ---------------------------------------------------------------------------------------------
# Driver.

SIZES = {"10MB": 10 * 10 ** 6, "100MB": 100 * 10 ** 6, "1GB": 10 ** 9}

_world = None


def _init(seed, planted, absent):
    global _world
    _world = World(seed, planted, absent)


def _work(job):
    b, subject_indices = job
    rng = random.Random(f"block-{_world.seed}-{b}")
    blk = gen_block(_world, b, subject_indices, rng)
    return b, {o: "".join(r).encode("utf-8") for o, r in blk.rows.items() if r}, \
        {o: len(r) for o, r in blk.rows.items() if r}, blk.expected, blk.decoys


def fixed_rows(world):
    """Users (the agents) and dial lists: written once, before the blocks."""
    rows = {"User": [], "NVMConnect__DialList__c": []}
    for i, (uid, (first, last)) in enumerate(world.agents):
        email = f"{first.lower()}.{last.lower()}@example.org"
        # Their direct lines are the org's own (020 7946 00xx), never a customer's.
        rows["User"].append(row([uid, first, last, email, f"+44 20 7946 00{i + 10:02d}",
                                 "", str(1201 + i), email + ".cc", "true"]))
    names = ["UK Renewals", "Web Leads Follow-up", "Win-back", "Trade Show Leads", "Overdue Invoices"]
    for i, lid in enumerate(world.dial_lists):
        rows["NVMConnect__DialList__c"].append(row([lid, f"{names[i % len(names)]} {2021 + i // 5}"]))
    return rows


def parse_size(args):
    if args.bytes:
        return args.bytes
    key = args.size.upper().replace(" ", "")
    if key in SIZES:
        return SIZES[key]
    raise SystemExit(f"--size: one of {', '.join(SIZES)} (or give --bytes N)")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="10MB", help="10MB, 100MB or 1GB (default 10MB)")
    ap.add_argument("--bytes", type=int, help="export size in bytes (overrides --size)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--subjects", type=int, default=100, help="planted subjects (default 100)")
    ap.add_argument("--requests", type=int, default=10000,
                    help="planted + absent requests written (default 10000: absent-subjects.csv "
                         "fills up to this)")
    ap.add_argument("--out", help="dataset folder (default build/bench-data/<size>-seed<seed>-s<subjects>)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="worker processes (default 1; the output is the same for any number)")
    args = ap.parse_args()
    target = parse_size(args)
    planted = args.subjects
    absent = max(0, args.requests - planted)
    label = args.size if not args.bytes else f"{args.bytes}B"
    out = args.out or os.path.join(os.path.dirname(here), "build", "bench-data",
                                   f"{label}-seed{args.seed}-s{planted}")
    export = os.path.join(out, "export")
    os.makedirs(export, exist_ok=True)
    for name in os.listdir(export):
        if name.endswith(".csv"):
            os.remove(os.path.join(export, name))
    started = time.time()

    world = World(args.seed, planted, absent)
    # Size of a background block, and of a subject's records, to spread the subjects evenly.
    _init(args.seed, planted, absent)
    probe_bg = sum(len(v) for v in _work((0, []))[1].values())
    probe_n = min(planted, 20)
    probe = _work((0, list(range(probe_n))))
    probe_pl = (sum(len(v) for v in probe[1].values()) - probe_bg) / probe_n if probe_n else 0
    planted_bytes = probe_pl * planted
    est_blocks = max(1, int(round(max(target - planted_bytes, probe_bg) / probe_bg)))
    if planted_bytes > target:
        print(f"warning: {planted} subjects take about {planted_bytes / 1e6:.0f} MB, more than "
              f"--size; the export will be larger", file=sys.stderr)
    assign = {}
    for i in range(planted):
        assign.setdefault(i * est_blocks // planted, []).append(i)

    files = {}
    counts = {o: 0 for o in OBJECTS}
    sizes = {o: 0 for o in OBJECTS}
    for o in OBJECTS:
        f = open(os.path.join(export, o + ".csv"), "wb")
        head = ("\ufeff" if o == "Contact" else "") + row(HEADERS[o])
        data = head.encode("utf-8")
        f.write(data)
        sizes[o] += len(data)
        files[o] = f
    for o, rows in fixed_rows(world).items():
        data = "".join(rows).encode("utf-8")
        files[o].write(data)
        sizes[o] += len(data)
        counts[o] += len(rows)
    total = sum(sizes.values())
    expected, decoys = [], []

    def consume(result):
        nonlocal total
        _, data, n, exp, dec = result
        for o, d in data.items():
            files[o].write(d)
            sizes[o] += len(d)
            total += len(d)
        for o, k in n.items():
            counts[o] += k
        expected.extend(exp)
        decoys.extend(dec)

    last_assigned = max(assign) if assign else -1

    def done(emitted):
        return total >= target and emitted > last_assigned and emitted >= SUBJECT_ACCOUNT_BLOCKS

    emitted = 0
    if args.jobs > 1:
        window = 8 * args.jobs
        with Pool(args.jobs, initializer=_init, initargs=(args.seed, planted, absent)) as pool:
            while not done(emitted):
                batch = [(b, assign.get(b, [])) for b in range(emitted, emitted + window)]
                for result in pool.imap(_work, batch):
                    consume(result)
                    emitted = result[0] + 1
                    if done(emitted):
                        break
            pool.terminate()
    else:
        while not done(emitted):
            consume(_work((emitted, assign.get(emitted, []))))
            emitted += 1
    for f in files.values():
        f.close()

    def write_csv(name, header, rows):
        with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
            f.write(",".join(header) + "\n")
            for r in rows:
                f.write(",".join(csv_cell(v) for v in r) + "\n")

    def request_row(s):
        return [s["request_id"], s["email"], formats(s["phone"])[0], f"{s['first']} {s['last']}", ""]

    write_csv("subjects.csv", ["request_id", "email", "phone", "name", "id"],
              [request_row(s) for s in world.subjects if s["planted"]])
    write_csv("absent-subjects.csv", ["request_id", "email", "phone", "name", "id"],
              [request_row(s) for s in world.subjects if not s["planted"]])
    write_csv("expected.csv", ["request_id", "object", "record_id", "action"],
              [(r, o, i, "delete_record") for r, o, i in expected])
    write_csv("decoys.csv", ["request_id", "object", "record_id", "note"], decoys)
    with open(os.path.abspath(__file__), "rb") as f:
        generator_sha256 = hashlib.sha256(f.read()).hexdigest()
    manifest = {
        "generator_version": GENERATOR_VERSION, "generator_sha256": generator_sha256,
        "seed": args.seed, "target_bytes": target,
        "size": label, "subjects": planted, "absent_subjects": absent, "blocks": emitted,
        "bytes": total, "records": sum(counts.values()),
        "objects": {o: {"records": counts[o], "bytes": sizes[o]} for o in OBJECTS},
        "expected_records": len(expected), "decoys": len(decoys),
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    secs = time.time() - started
    print(f"wrote {out}: {total / 1e6:.1f} MB, {manifest['records']} records in {len(OBJECTS)} objects, "
          f"{planted} planted subjects ({len(expected)} expected records, {len(decoys)} decoys), "
          f"{absent} absent requests, in {secs:.1f} s")


def csv_cell(v):
    v = str(v)
    if any(c in v for c in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


if __name__ == "__main__":
    main()
