from celery import shared_task

from users import services


@shared_task
def consent_expiry_sweep() -> int:
    return services.consent_expiry_sweep()
