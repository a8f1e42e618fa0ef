"""Alerts keep the points a rule that weighs signs added up to; each rule version's back-tested
precision is kept; and a partnership's rules are brought to the reviewed defaults (issue 15).

The defaults changed: a rule that weighs signs ("Signs of exploitation adding up") and one for
sexual health care under 13 are added; the rules that counted missing episodes, agencies, an adult
or vehicle beside a missing episode, sexual health care under 16, and absences beside one other sign
are switched off; missing episodes leave the criminal exploitation indicators, and places of missing
episodes leave the links between children. A new database gets them from ``data/default_rules.json``
(migration 0002 reads it). Here, a database set up before: each rule still exactly as it shipped
(its name, settings, level, switched on) gets the new default as a new version with the reason; a
rule the partnership has changed is left as the partnership made it; the new rules are added unless
a rule with the code exists.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

# The rules as they shipped before this change (data/default_rules.json until issue 15): only a
# rule still in this state is changed.
AS_SHIPPED = {
    "repeat-missing": ("Repeated missing episodes", "high",
                       {"count": 3, "event_types": ["missing_episode"], "window_days": 90}),
    "cumulative-concern": ("Cumulative concern across agencies", "medium", {
        "agencies": 3, "window_days": 90, "event_types": [],
        "exclude_event_types": ["absent_from_school", "ae_attendance", "concern", "other", "police_stop",
                                "return_home_interview", "victim_of_crime"]}),
    "missing-with-adult-or-vehicle": ("Missing, and seen with an adult or in a vehicle", "high", {
        "window_days": 2, "event_types": ["missing_episode"],
        "with_event_types": ["found_with_adult", "seen_in_vehicle"]}),
    "sexual-health-under-16": ("Sexual health attendance, pregnancy or termination under 16", "high", {
        "event_types": ["pregnancy", "sexual_health_attendance", "termination"], "under_age": 16}),
    "criminal-exploitation-indicators": ("Several indicators of criminal exploitation together", "high", {
        "window_days": 90, "distinct": 3,
        "event_types": ["drug_debt", "gifts_or_money", "missing_episode", "multiple_phones", "police_stop",
                        "travel_out_of_area"]}),
    "absence-with-other-indicator": ("Absent from school, with another sign of exploitation", "medium", {
        "window_days": 60, "event_types": ["absent_from_school"],
        "with_event_types": ["found_with_adult", "gifts_or_money", "missing_episode", "multiple_phones",
                             "online_grooming", "seen_in_vehicle", "substance_misuse"]}),
    "linked-to-child-at-risk": ("Linked to another child at risk", "high", {
        "window_days": 365, "contacts": ["adult", "vehicle", "phone", "place"], "event_types": [],
        "place_event_types": ["found_with_adult", "missing_episode", "seen_in_vehicle"]}),
}
NEW = ("exploitation-evidence", "sexual-health-under-13")
NOTE = "Reviewed default (issue 15)"


def _snapshot(rule):
    return {"name": rule.name, "description": rule.description, "kind": rule.kind, "params": rule.params,
            "level": rule.level, "enabled": rule.enabled}


def bring_rules_to_reviewed_defaults(apps, schema_editor):
    from safeguarding.earlywarning.rules import clean_rule, default_rules

    Rule = apps.get_model("earlywarning", "Rule")
    RuleVersion = apps.get_model("earlywarning", "RuleVersion")
    if not Rule.objects.exists():
        return  # a new database: migration 0002 installed the reviewed defaults already
    now = timezone.now()
    for item in default_rules():
        code = item["code"]
        spec = clean_rule(code=code, name=item["name"], kind=item["kind"], level=item["level"], params=item["params"])
        note = f"{NOTE}. {item.get('note', '')}".strip()
        rule = Rule.objects.filter(code=code).first()
        if rule is None:
            if code not in NEW:
                continue
            rule = Rule.objects.create(
                code=code, name=spec.name, description=item.get("description", ""), kind=spec.kind,
                params=spec.params, level=spec.level, enabled=item.get("enabled", True), version=1,
            )
            RuleVersion.objects.create(rule=rule, version=1, snapshot=_snapshot(rule), change_note=note,
                                       changed_at=now)
            continue
        shipped = AS_SHIPPED.get(code)
        if shipped is None or not rule.enabled or (rule.name, rule.level, rule.params) != shipped:
            continue
        before = _snapshot(rule)
        rule.name, rule.description, rule.params, rule.level = (
            spec.name, item.get("description", ""), spec.params, spec.level)
        rule.enabled = item.get("enabled", True)
        if _snapshot(rule) == before:
            continue
        rule.version += 1
        rule.save()
        RuleVersion.objects.create(rule=rule, version=rule.version, snapshot=_snapshot(rule), change_note=note,
                                   changed_at=now)


class Migration(migrations.Migration):

    dependencies = [
        ('earlywarning', '0008_rule_kind_new_link'),
    ]

    operations = [
        migrations.AddField(
            model_name='alert',
            name='score',
            field=models.PositiveIntegerField(blank=True, help_text='for a rule that weighs signs: the most points its evidence has added up to', null=True),
        ),
        migrations.AlterField(
            model_name='rule',
            name='kind',
            field=models.CharField(choices=[('repeated', 'The same kind of event repeated within a window'), ('agencies', 'Events recorded by several different agencies within a window'), ('together', 'An event with another kind of event close to it'), ('under_age', 'An event while the child was under an age'), ('combination', 'Several different indicators within a window'), ('shared_contact', 'Linked to an adult, vehicle, phone or place of another child at risk'), ('no_follow_up', 'An expected follow-up not recorded in time'), ('score', 'Weighted signs adding up within a window (the strength of the evidence)'), ('new_link', 'A new link found by network analysis')], max_length=30),
        ),
        migrations.AlterField(
            model_name='ruletest',
            name='kind',
            field=models.CharField(choices=[('repeated', 'The same kind of event repeated within a window'), ('agencies', 'Events recorded by several different agencies within a window'), ('together', 'An event with another kind of event close to it'), ('under_age', 'An event while the child was under an age'), ('combination', 'Several different indicators within a window'), ('shared_contact', 'Linked to an adult, vehicle, phone or place of another child at risk'), ('no_follow_up', 'An expected follow-up not recorded in time'), ('score', 'Weighted signs adding up within a window (the strength of the evidence)'), ('new_link', 'A new link found by network analysis')], max_length=30),
        ),
        migrations.CreateModel(
            name='RulePrecision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField()),
                ('level', models.CharField(choices=[('high', 'High'), ('medium', 'Medium'), ('low', 'Low')], max_length=10)),
                ('as_of', models.DateTimeField(help_text='the history as it stood at this moment')),
                ('since', models.DateTimeField(help_text='children flagged from this moment to as_of count')),
                ('computed_at', models.DateTimeField()),
                ('children_flagged', models.PositiveIntegerField()),
                ('referred_later', models.PositiveIntegerField(help_text='flagged before anyone referred them, and referred since')),
                ('referred_before', models.PositiveIntegerField(help_text='already referred when flagged: not counted in the share')),
                ('never_referred', models.PositiveIntegerField()),
                ('median_days_before_referral', models.FloatField(blank=True, null=True)),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='precisions', to='earlywarning.rule')),
            ],
            options={
                'ordering': ['rule', '-version', '-computed_at'],
                'indexes': [models.Index(fields=['rule', 'version', 'level', 'computed_at'], name='earlywarnin_rule_id_180301_idx')],
            },
        ),
        migrations.RunPython(bring_rules_to_reviewed_defaults, migrations.RunPython.noop),
    ]
